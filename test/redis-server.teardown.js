// jest globalTeardown: stops the redis-server redis-server.setup.js started, if it did, and removes its files.
const { once } = require('node:events');
const { rmSync } = require('node:fs');

module.exports = async () => {
  const started = globalThis.__SB_REDIS__;
  if (!started) return;
  if (started.child.exitCode === null) {
    started.child.kill('SIGTERM');
    await once(started.child, 'exit');
  }
  rmSync(started.dir, { recursive: true, force: true });
};
