import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFlags } from '../../bench/start-command';
import { ROOT } from './engine';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
}

export const freshDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** The built service in its own process: as `npm start` runs it, or with other Node flags. */
export async function boot(env: Record<string, string>, nodeFlags = startFlags(ROOT)): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 15000;
  while (!/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`service did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1];
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
