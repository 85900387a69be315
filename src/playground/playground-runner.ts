import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PackLimits } from '../delivery/pack';
import { PlaygroundRequest, PlaygroundRun } from './playground-run';

// A worker runs JavaScript: under ts-jest, which runs this file from source, the build's copy (`npm test` builds first).
const WORKER_FILE = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'playground', 'playground.worker.js') : join(__dirname, 'playground.worker.js');

export type RunOutcome =
  | { readonly ok: true; readonly answer: PlaygroundRun }
  | { readonly ok: false; readonly code: 'PLAYGROUND_TIMEOUT' | 'PLAYGROUND_FAILED' | 'PLAYGROUND_BUSY'; readonly message: string };

/** Runs waiting for the thread beyond which a new one is turned away: a page sends one at a time, so more is a flood. */
export const MAX_WAITING_RUNS = 16;

/**
 * Runs one compile-and-map at a time on a worker thread, within `timeoutMs`: past it the
 * thread is ended (the only way to stop synchronous code) and a fresh one serves the next.
 */
export class PlaygroundRunner {
  private worker: Promise<Worker> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private waiting = 0;

  constructor(
    private readonly limits: PackLimits,
    readonly timeoutMs: number,
  ) {}

  run(request: PlaygroundRequest): Promise<RunOutcome> {
    if (this.waiting >= MAX_WAITING_RUNS) return Promise.resolve({ ok: false, code: 'PLAYGROUND_BUSY', message: `${this.waiting} runs are already waiting; try again shortly` });
    this.waiting++;
    const turn = this.queue.then(() => this.runNow(request)).finally(() => this.waiting--);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * A thread that has loaded the engine: its start (seconds on a loaded machine) is not
   * counted against a run's time limit, which is for what the text costs.
   */
  private ready(): Promise<Worker> {
    if (this.worker) return this.worker;
    const starting = new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(WORKER_FILE);
      // An idle playground must not keep a process (the CLI's test, a service shutting down) alive.
      worker.unref();
      worker.once('message', () => resolve(worker));
      worker.on('error', reject);
      worker.once('exit', (code) => {
        // A thread that died while idle is replaced by the next run, not posted to.
        if (this.worker === starting) this.worker = null;
        reject(new Error(`the playground's thread exited (${code}) before it was ready`));
      });
    });
    this.worker = starting;
    return starting;
  }

  private async runNow(request: PlaygroundRequest): Promise<RunOutcome> {
    let worker: Worker;
    try {
      worker = await this.ready();
    } catch (error) {
      this.worker = null;
      return { ok: false, code: 'PLAYGROUND_FAILED', message: (error as Error).message };
    }
    const id = ++this.nextId;
    return new Promise<RunOutcome>((resolve) => {
      const done = (outcome: RunOutcome) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(outcome);
      };
      const onMessage = (reply: { id: number; answer?: PlaygroundRun; failure?: string }) => {
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
    await (await worker?.catch(() => null))?.terminate();
  }
}
