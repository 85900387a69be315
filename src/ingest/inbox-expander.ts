import { performance } from 'node:perf_hooks';
import { MappingPlan } from '../engine';
import { ExpandResult, Expansion, InboxEntry, Refusal } from '../queue/inbox';
import { admit, IngestSource, isSized, unpack, userKeyOf } from './admit';

export interface ExpanderOptions {
  /** Messages per transaction. */
  readonly batchMessages: number;
  /** The least share of the event loop expansion takes while requests keep arriving (0–1]; 1 on a thread of its own. */
  readonly shareUnderLoad: number;
}

/** One transaction's worth: `SqliteQueue.expandInbox`, or `expandFrom` with a reader of the expansion's own. */
export type ExpandStep = (maxMessages: number, expansionOf: (entry: InboxEntry) => Expansion) => ExpandResult;

export interface ExpanderObserver {
  /** Called per stored request, inside its transaction. */
  mapped?(expansion: Expansion): void;
  /** Called after each transaction has committed. */
  expanded?(result: ExpandResult): void;
  warn?(message: string): void;
}

/** Admits a stored request again, with the plan of now, exactly as the request path admitted it. */
export function expansionOf(entry: InboxEntry, plan: MappingPlan): Expansion {
  const source = entry.source as IngestSource;
  const unpacked = unpack(source, JSON.parse(entry.body.toString('utf8')));
  const admitted = admit(unpacked, { receivedAt: entry.receivedAt, idBase: entry.idBase, sized: isSized(entry.body) }, plan, new Set(entry.skip));
  const refused: Refusal[] = admitted.rejected.map((r) => {
    const message = admitted.unmapped.get(r.index);
    const messageId = typeof message?.messageId === 'string' ? message.messageId : `${entry.idBase}-${r.index}`;
    return { index: r.index, messageId, userKey: message ? userKeyOf(message) : '', code: String(r.code), message: r.message, payload: message ?? unpacked.messages[r.index] };
  });
  return { messages: admitted.queued, refused, objects: admitted.objects };
}

/**
 * The least pause between transactions, and the event-loop utilization over a pause above
 * which requests are saturating the loop. The pause must be long against the loop's own work
 * after a transaction (~0.3 ms): over 1 ms pauses an idle loop looked saturated half the time.
 * On a thread of its own the expansion shares its loop with nobody: no pause.
 */
const MIN_GAP_MS = 2;
const SATURATED = 0.85;

/**
 * Makes the inbox's requests into Braze work, oldest first, one transaction at a time. While
 * the event loop has time to spare it runs almost back to back; while requests saturate the
 * loop it rests between transactions so that it takes about `shareUnderLoad` of it and
 * acknowledging requests keeps the rest. What waits meanwhile is on disk, not in memory.
 */
export class InboxExpander {
  private running: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** When the next transaction may start (performance.now()). */
  private nextAt = 0;

  private readonly minGapMs: number;

  /** Its host calls `kick()` whenever requests have been appended to the inbox. */
  constructor(
    private readonly expand: ExpandStep,
    private readonly plan: () => MappingPlan,
    private readonly options: ExpanderOptions,
    private readonly observer: ExpanderObserver = {},
  ) {
    this.minGapMs = options.shareUnderLoad >= 1 ? 0 : MIN_GAP_MS;
  }

  start(): void {
    this.stopping = false;
    this.kick();
  }

  /** Expands what the inbox holds now and whatever arrives while it runs. */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Lets the current transaction finish; the rest of the inbox waits on disk for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let gapStart = performance.eventLoopUtilization();
    while (!this.stopping) {
      // Never inside the caller, and always through a timer, so that an idle loop shows as idle.
      await this.rest(Math.max(this.minGapMs, this.nextAt - performance.now()));
      if (this.stopping) return;
      // Requests are saturating the loop when it found no time to idle while this waited.
      const saturated = performance.eventLoopUtilization(gapStart).utilization > SATURATED;
      const started = performance.now();
      let result;
      try {
        result = this.expand(this.options.batchMessages, (entry) => {
          const expansion = expansionOf(entry, this.plan());
          this.observer.mapped?.(expansion);
          return expansion;
        });
      } catch (error) {
        // The store is busy or failing: the requests stay in the inbox and are tried again.
        this.observer.warn?.(`inbox expansion failed, retrying in 1 s: ${error instanceof Error ? error.message : String(error)}`);
        this.nextAt = performance.now() + 1000;
        gapStart = performance.eventLoopUtilization();
        continue;
      }
      if (result.requests === 0) return;
      this.observer.expanded?.(result);
      if (result.refused > 0) this.observer.warn?.(`${result.refused} accepted message(s) could not be mapped by the current mapping and went to the dead letters`);
      // Saturated, rest long enough to take only the configured share; otherwise go straight on.
      const took = performance.now() - started;
      this.nextAt = performance.now() + (saturated ? took * (1 / this.options.shareUnderLoad - 1) : 0);
      gapStart = performance.eventLoopUtilization();
    }
  }

  private rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      // Without a pause, still yield to the loop (messages, stop) between transactions.
      const timer = ms > 0 ? setTimeout(done, ms) : (setImmediate(done), null);
      this.wake = done;
    });
  }
}
