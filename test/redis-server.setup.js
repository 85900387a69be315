// jest globalSetup: the Redis backend's tests need a redis-server. With REDIS_URL set (as
// .ci/run does) that one is used; otherwise a throwaway one is started on a free loopback
// port, AOF on, in a temporary directory, and stopped by redis-server.teardown.js. Without
// Debian's redis-server installed nothing starts, and those tests fail saying so.
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { createServer, connect } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const answers = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });

module.exports = async () => {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).error) return;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--save', '', '--dir', dir], { stdio: 'ignore' });
  globalThis.__SB_REDIS__ = { child, dir };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await answers(port)) {
      process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on 127.0.0.1:${port} (exit code ${child.exitCode})`);
};
