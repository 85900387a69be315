import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PackLimits } from '../delivery/pack';
import { PlaygroundAnswer, PlaygroundRequest } from './playground-run';

// A worker runs JavaScript: under ts-jest, which runs this file from source, the build's copy (`npm test` builds first).
const WORKER_FILE = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'playground', 'playground.worker.js') : join(__dirname, 'playground.worker.js');

export type RunOutcome = { readonly ok: true; readonly answer: Omit<PlaygroundAnswer, 'changesOnly'> } | { readonly ok: false; readonly code: 'PLAYGROUND_TIMEOUT' | 'PLAYGROUND_FAILED'; readonly message: string };

/**
 * Runs one compile-and-map at a time on a worker thread, within `timeoutMs`: past it the
 * thread is ended (the only way to stop synchronous code) and a fresh one serves the next.
 */
export class PlaygroundRunner {
  private worker: Worker | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;

  constructor(
    private readonly limits: PackLimits,
    readonly timeoutMs: number,
  ) {}

  run(request: PlaygroundRequest): Promise<RunOutcome> {
    const turn = this.queue.then(() => this.runNow(request));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private runNow(request: PlaygroundRequest): Promise<RunOutcome> {
    if (!this.worker) {
      this.worker = new Worker(WORKER_FILE);
      // An idle playground must not keep a process (the CLI's test, a service shutting down) alive.
      this.worker.unref();
    }
    const worker = this.worker;
    const id = ++this.nextId;
    return new Promise<RunOutcome>((resolve) => {
      const done = (outcome: RunOutcome) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(outcome);
      };
      const onMessage = (reply: { id: number; answer?: Omit<PlaygroundAnswer, 'changesOnly'>; failure?: string }) => {
        if (reply.id !== id) return;
        done(reply.answer ? { ok: true, answer: reply.answer } : { ok: false, code: 'PLAYGROUND_FAILED', message: reply.failure ?? 'the run failed' });
      };
      const onError = (error: Error) => {
        this.worker = null;
        done({ ok: false, code: 'PLAYGROUND_FAILED', message: error.message });
      };
      const timer = setTimeout(() => {
        this.worker = null;
        void worker.terminate();
        done({ ok: false, code: 'PLAYGROUND_TIMEOUT', message: `compiling and mapping took longer than ${this.timeoutMs} ms; the run was stopped` });
      }, this.timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, request, limits: this.limits });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
