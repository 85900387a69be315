import { Readable, Writable } from 'node:stream';

/** What a command may touch, so tests run commands in-process with captured streams. */
export interface CliIo {
  readonly cwd: string;
  /** The environment the command reads its defaults and the store to open from (DATA_DIR, QUEUE, REDIS_URL, …). */
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  /** Raw output stream, for commands that stream large output with backpressure. */
  readonly out: Writable;
  stdout(text: string): void;
  stderr(text: string): void;
}

export function processIo(): CliIo {
  // `segment-braze map | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    out: process.stdout,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
