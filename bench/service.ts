import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFlags } from './start-command';

export interface Running {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export const ROOT = join(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a script (the service by default) in its own process on a free port; waits until it answers. */
export async function startProcess(script: string, env: Record<string, string> = {}, probe = '/health/live', nodeFlags: string[] = []): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, script], { cwd: ROOT, env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${script} did not answer on ${url}`);
    const up = await fetch(url + probe).then((r) => r.status < 500, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** The service as `npm start` runs it, on a fresh data directory deleted once it stops (a full run writes several GB). */
export async function startService(env: Record<string, string>): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const running = await startProcess(join(ROOT, 'dist', 'main.js'), { DATA_DIR: dataDir, ...env }, '/health/live', startFlags(ROOT));
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
