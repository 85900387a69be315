import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MappingRegistry } from '../mapping/mapping.registry';
import { ExpanderThreadData, ExpansionStore, FromExpander, ToExpander } from './expander-messages';
import { ExpansionReport } from './inbox-expander';
import { reportLoopLoad } from './loop-load';

export interface ExpanderThreadReport {
  expanded(report: ExpansionReport): void;
  warn(message: string): void;
  error(message: string): void;
  /** For the expansion's health: a transaction failed, or the thread did. */
  failed?(message: string): void;
  /** Nothing to expand; `untilWork`: nothing expected before the next append. */
  idle?(untilWork: boolean): void;
  /** Requests were appended to the local inbox. */
  appended?(): void;
}

// A worker runs JavaScript: under ts-jest, which runs this file from source, the build's copy (`npm test` builds first).
const WORKER_FILE = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'ingest', 'expander.worker.js') : join(__dirname, 'expander.worker.js');
const RESTART_MS = 1000;
const STOP_GRACE_MS = 10_000;
/**
 * A transaction's garbage dies with it, so the thread needs no large nursery: V8's default
 * (16 MB semi-spaces) held ~30 MB of RSS. At 12 MB resident memory under load fell by
 * 13–20 MB with the drain unchanged within noise (19.0 / 17.6 / 18.6k against
 * 19.0 / 21.9 / 18.7k msg/s, interleaved); at 6 MB the drain halved.
 */
const YOUNG_GENERATION_MB = 12;

/**
 * The inbox expanded on a worker thread, so that it has a core of its own instead of a share
 * of the request path's event loop. The thread holds nothing its store does not: should it
 * die, a new one starts from what was committed and nothing is lost or repeated (with Redis,
 * what the old one had read is taken over after the claim time).
 */
export class ExpanderThread {
  private worker: Worker | null = null;
  private stopping = false;
  private restart: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopReporting: (() => void) | null = null;
  private saturated = false;

  constructor(
    private readonly store: ExpansionStore,
    private readonly mappings: MappingRegistry,
    private readonly settings: Pick<ExpanderThreadData, 'batchMessages' | 'shareUnderLoad'>,
    private readonly report: ExpanderThreadReport,
  ) {}

  start(): void {
    this.stopping = false;
    this.unsubscribe = this.mappings.onSwap((next) => this.send({ type: 'mappings', sources: next.sources }));
    const local = this.store.local;
    if (local)
      local.onAccepted = () => {
        this.report.appended?.();
        this.send({ type: 'appended', writeEnd: local.writeEnd() });
      };
    this.stopReporting = reportLoopLoad((saturated) => this.send({ type: 'load', saturated: (this.saturated = saturated) }));
    this.spawn();
  }

  /** Whether a thread is running (or about to be started again after one died). */
  get isRunning(): boolean {
    return this.worker !== null || (this.restart !== null && !this.stopping);
  }

  /** Lets the thread finish its transaction and close its connection; the rest of the inbox waits in its store. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restart) clearTimeout(this.restart);
    if (this.store.local) this.store.local.onAccepted = null;
    this.unsubscribe?.();
    this.stopReporting?.();
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToExpander);
    });
  }

  private send(message: ToExpander): void {
    this.worker?.postMessage(message);
  }

  private spawn(): void {
    const workerData: ExpanderThreadData = { ...this.settings, store: this.store.thread, sources: this.mappings.current.sources, writeEnd: this.store.local?.writeEnd() };
    const worker = new Worker(WORKER_FILE, { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    if (this.saturated) worker.postMessage({ type: 'load', saturated: true } satisfies ToExpander);
    worker.on('message', (message: FromExpander) => {
      if (message.type === 'expanded') {
        this.store.local?.expanded(message.requests, message.messages);
        this.report.expanded(message);
      } else if (message.type === 'warn') {
        this.report.warn(message.message);
      } else if (message.type === 'failed') {
        this.report.failed?.(message.message);
      } else {
        // Appends the thread has not heard of yet are work: it rests only once it has caught up with them.
        const local = this.store.local;
        const caughtUp = !local || JSON.stringify(message.writeEnd) === JSON.stringify(local.writeEnd());
        this.report.idle?.(message.untilKicked && caughtUp);
      }
    });
    worker.on('error', (error) => {
      this.report.error(`the inbox expansion thread failed: ${error.message}`);
      this.report.failed?.(`the expansion thread failed: ${error.message}`);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      if (this.stopping) return;
      this.report.error(`the inbox expansion thread stopped; starting a new one in ${RESTART_MS / 1000} s`);
      this.restart = setTimeout(() => this.spawn(), RESTART_MS);
    });
    this.worker = worker;
  }
}
