import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ROOT } from './engine';

export interface PlaygroundProcess {
  /** The page's URL, as the command printed it. */
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** `segment-braze playground --port 0` from the build, as a user starts it; resolves once it printed its URL. */
export async function startPlaygroundCli(args: string[] = [], cwd = ROOT): Promise<PlaygroundProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'segment-braze.js'), 'playground', '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const found = /http:\/\/127\.0\.0\.1:\d+\/playground\//.exec(stdout);
      if (found) resolve(found[0]);
    });
    child.once('exit', (code) => reject(new Error(`playground exited with ${code} before printing its URL: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

/** POST the run endpoint: the files and the input as the page sends them. */
export async function runOnce(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL('api/run', url), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}
