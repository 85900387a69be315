import { MappingPlan } from '../engine';
import { Expansion, InboxEntry, Refusal } from '../queue/inbox';
import { InboxLog } from '../queue/inbox-log';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { admit, IngestSource, isSized, unpack, userKeyOf } from './admit';

export interface ExpanderOptions {
  /** Messages per transaction. */
  readonly batchMessages: number;
  /** The least share of the event loop expansion takes while requests keep arriving (0–1]. */
  readonly shareUnderLoad: number;
}

export interface ExpanderObserver {
  /** Called per stored request, inside its transaction. */
  mapped?(expansion: Expansion): void;
  expanded?(messages: number, duplicates: number, refused: number): void;
  warn?(message: string): void;
}

/** Admits a stored request again, with the plan of now, exactly as the request path admitted it. */
export function expansionOf(entry: InboxEntry, plan: MappingPlan): Expansion {
  const source = entry.source as IngestSource;
  const unpacked = unpack(source, JSON.parse(entry.body.toString('utf8')));
  const admitted = admit(unpacked, { source, receivedAt: entry.receivedAt, idBase: entry.idBase, sized: isSized(entry.body) }, plan, new Set(entry.skip));
  const refused: Refusal[] = admitted.rejected.map((r) => {
    const message = admitted.unmapped.get(r.index);
    const messageId = typeof message?.messageId === 'string' ? message.messageId : `${entry.idBase}-${r.index}`;
    return { index: r.index, messageId, userKey: message ? userKeyOf(message) : '', code: String(r.code), message: r.message, payload: message ?? unpacked.messages[r.index] };
  });
  return { messages: admitted.queued, refused, objects: admitted.objects };
}

/**
 * Makes the inbox's requests into Braze work, oldest first, one transaction at a time. When
 * nothing else is happening it runs back to back; while requests keep arriving it rests
 * between transactions so that it takes about `shareUnderLoad` of the event loop and
 * acknowledging requests keeps the rest. What waits meanwhile is on disk, not in memory.
 */
export class InboxExpander {
  private running: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** When the next transaction may start (performance.now()). */
  private nextAt = 0;
  /** The inbox's acceptedCount when the last transaction started. */
  private seen = 0;

  private readonly inbox: InboxLog;

  constructor(
    private readonly store: SqliteQueue,
    private readonly plan: () => MappingPlan,
    private readonly options: ExpanderOptions,
    private readonly observer: ExpanderObserver = {},
  ) {
    if (!store.inbox) throw new Error('the expander needs a store opened with its inbox');
    this.inbox = store.inbox;
  }

  start(): void {
    this.stopping = false;
    this.seen = this.inbox.acceptedCount;
    this.inbox.onAccepted = () => this.kick();
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
    this.inbox.onAccepted = null;
    this.wake?.();
    await this.running;
  }

  /** Resolves once the inbox is empty (for tests and the benchmark). */
  async drained(): Promise<void> {
    while (this.inbox.pending().requests > 0 && !this.stopping) await new Promise((r) => setTimeout(r, 5));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      // Never inside the caller (a commit), and not before this slice's turn comes round.
      const wait = this.nextAt - performance.now();
      await (wait > 0 ? this.rest(wait) : new Promise((r) => setImmediate(r)));
      if (this.stopping) return;
      const arrived = this.inbox.acceptedCount !== this.seen;
      this.seen = this.inbox.acceptedCount;
      const started = performance.now();
      let result;
      try {
        result = this.store.expandInbox(this.options.batchMessages, (entry) => {
          const expansion = expansionOf(entry, this.plan());
          this.observer.mapped?.(expansion);
          return expansion;
        });
      } catch (error) {
        // The store is busy or failing: the rows stay in the inbox and are tried again.
        this.observer.warn?.(`inbox expansion failed, retrying in 1 s: ${error instanceof Error ? error.message : String(error)}`);
        this.nextAt = performance.now() + 1000;
        continue;
      }
      if (result.requests === 0) return;
      this.observer.expanded?.(result.messages, result.duplicates, result.refused);
      if (result.refused > 0) this.observer.warn?.(`${result.refused} accepted message(s) could not be mapped by the current mapping and went to the dead letters`);
      // While requests keep arriving, rest long enough to take only the configured share.
      const took = performance.now() - started;
      this.nextAt = performance.now() + (arrived ? took * (1 / this.options.shareUnderLoad - 1) : 0);
    }
  }

  private rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
