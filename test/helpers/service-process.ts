import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFlags } from '../../bench/start-command';
import { eventually } from './delivery';
import { ROOT } from './engine';

export const freshDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote, stdout and stderr interleaved. */
  output(): string;
}

export interface RunningService extends ServiceProcess {
  url: string;
}

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * The built service in its own process: `node <flags> dist/main.js` as `npm start` runs it
 * (or with other Node flags), or `npm start` itself in a process group of its own (npm, its
 * shell and node), so that the whole group can be killed as a container's would be.
 */
export function spawnService(env: Record<string, string>, how: { nodeFlags?: string[]; npm?: boolean } = {}): ServiceProcess {
  const fullEnv = { ...process.env, PORT: '0', ...env };
  const child = how.npm
    ? spawn('npm', ['start', '--silent'], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, [...(how.nodeFlags ?? startFlags(ROOT)), join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/** Resolves once the service listens; fails with its output if it exits first. */
export async function untilListening(service: ServiceProcess, timeoutMs = 20_000): Promise<RunningService> {
  await eventually(() => LISTENING.test(service.output()) || service.child.exitCode !== null, 'the service to listen', timeoutMs);
  if (!LISTENING.test(service.output())) throw new Error(`service did not start:\n${service.output()}`);
  return { ...service, url: `http://127.0.0.1:${LISTENING.exec(service.output())![1]}` };
}

export async function boot(env: Record<string, string>, nodeFlags = startFlags(ROOT)): Promise<RunningService> {
  return untilListening(spawnService(env, { nodeFlags }));
}

/** Resolves with the exit code once the process has ended (at once if it already has). */
export async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

export async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await exited(child);
}

export async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}
