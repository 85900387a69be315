import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main';
import { ROOT } from './engine';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured streams (and this process's environment unless given one). */
export async function cli(args: string[], stdin = '', cwd = ROOT, env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  out.on('data', (chunk) => (stdout += chunk));
  const code = await runCli(args, {
    cwd,
    env,
    stdin: Readable.from([stdin]),
    out,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

export function lines(text: string): unknown[] {
  return text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l));
}
