import { performance } from 'node:perf_hooks';
import { MappingPlan } from '../engine';
import { ExpandResult, MappedRequest, expandSafely, WHOLE_REQUEST } from '../queue/inbox';
import { InboxEntry, InboxSource } from '../queue/ports/request-inbox.port';
import { CommitResult, MappedBatch, QueuedMessage, Refusal, Uncommitted, WorkQueue } from '../queue/ports/work-queue.port';
import { admit, IngestSource, isSized, unpack, userKeyOf } from './admit';

export interface ExpanderOptions {
  /** Messages per transaction. */
  readonly batchMessages: number;
  /** The share of its time the expansion takes while requests saturate the request path (0–1]; 1 never holds back. */
  readonly shareUnderLoad: number;
  /** Whether requests saturate the request path, as the service last reported; asked once per transaction. */
  readonly saturated: () => boolean;
}

/** Where the expansion reads stored requests, and where it commits the work it makes of them. */
export interface ExpansionEnds {
  readonly inbox: InboxSource;
  readonly queue: Pick<WorkQueue, 'commit'>;
  /**
   * Where several instances commit in turns (Redis): calls `listener` when work was committed
   * anywhere, so a batch waiting for its turn asks again at once; returns how to stop.
   */
  readonly onCommitted?: (listener: () => void) => () => void;
}

/** What one committed transaction made, for the metrics. */
export interface ExpansionReport extends ExpandResult {
  /** Braze objects made, by array name. */
  readonly objects: readonly (readonly [string, number])[];
  /** The codes of the messages refused, one per message. */
  readonly refusedCodes: readonly string[];
}

export interface ExpanderObserver {
  /** Called after each transaction has committed. */
  expanded?(report: ExpansionReport): void;
  warn?(message: string): void;
  /** A transaction failed (it is tried again): for the expansion's health. */
  failed?(message: string): void;
  /** The inbox had nothing to expand; `untilKicked`: the expansion rests until `kick()`, instead of reading on. */
  idle?(untilKicked: boolean): void;
}

/** Admits a stored request again, with the plan of now, exactly as the request path admitted it. */
export function expansionOf(entry: InboxEntry, plan: MappingPlan): MappedRequest {
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

/** A wait of `ms` that resolves false when the expansion stops meanwhile. */
export type Pause = (ms: number) => Promise<boolean>;

const sleep: Pause = (ms) => new Promise((resolve) => setTimeout(() => resolve(true), ms));

/**
 * A batch behind an older one (expanded by another instance) asks again when work was
 * committed (`onCommitted`), else soon, then less often: the older one commits within a few
 * tens of milliseconds, and asking is cheap (the Redis queue asks only whether it is the
 * batch's turn).
 */
const BEHIND_FIRST_MS = 2;
const BEHIND_MAX_MS = 50;

interface MappedEntries {
  readonly queued: QueuedMessage[];
  readonly refused: Refusal[];
  messages: number;
  readonly objects: Map<string, number>;
  readonly refusedCodes: string[];
}

function mapEntries(entries: readonly InboxEntry[], plan: MappingPlan): MappedEntries {
  const mapped: MappedEntries = { queued: [], refused: [], messages: 0, objects: new Map(), refusedCodes: [] };
  for (const entry of entries) {
    const one = expandSafely(entry, (e) => expansionOf(e, plan));
    for (const [kind, n] of one.objects) mapped.objects.set(kind, (mapped.objects.get(kind) ?? 0) + n);
    // One code per message: a request refused whole stands for all its messages.
    for (const r of one.refused) for (let i = r.index === WHOLE_REQUEST ? entry.messages : 1; i > 0; i--) mapped.refusedCodes.push(r.code);
    for (const m of one.messages) mapped.queued.push(m);
    for (const r of one.refused) mapped.refused.push(r);
    mapped.messages += entry.messages;
  }
  return mapped;
}

/** Commits the batch once it is its turn; null when the expansion stopped while it waited (nothing of it was written). */
async function commitInTurn(queue: ExpansionEnds['queue'], batch: MappedBatch, pause: Pause): Promise<CommitResult | Uncommitted | null> {
  for (let wait = BEHIND_FIRST_MS; ; wait = Math.min(BEHIND_MAX_MS, wait * 2)) {
    const result = await queue.commit(batch);
    if (!('uncommitted' in result) || result.uncommitted !== 'behind') return result;
    if (!(await pause(wait))) return null;
  }
}

/**
 * The oldest stored requests, mapped first and then committed in one step with how far the
 * inbox has been read; null when the inbox is caught up (or the expansion stopped while the
 * batch waited for its turn). A batch whose requests are no longer this reader's as read is
 * dropped unwritten and the inbox read again.
 */
export async function expandBatch(ends: ExpansionEnds, plan: MappingPlan, maxMessages: number, pause: Pause = sleep): Promise<ExpansionReport | null> {
  for (;;) {
    const { entries, position } = await ends.inbox.read(maxMessages);
    if (entries.length === 0) return null;
    const mapped = mapEntries(entries, plan);
    const committed = await commitInTurn(ends.queue, { messages: mapped.queued, refused: mapped.refused, inboxPosition: position }, pause);
    if (committed === null) return null;
    if ('uncommitted' in committed) continue;
    await ends.inbox.advance(position);
    const dropped = new Map<string, number>();
    for (const code of committed.dropped) dropped.set(code, (dropped.get(code) ?? 0) + 1);
    const { messages, refused, objects, refusedCodes } = mapped;
    return { requests: entries.length, messages, duplicates: committed.duplicates, refused: refused.length, dropped: [...dropped], objects: [...objects], refusedCodes };
  }
}

/** One line per transaction, whatever the number of messages: the counts by code, and where they add up. */
function droppedLine(dropped: ExpandResult['dropped']): string {
  const total = dropped.reduce((n, [, count]) => n + count, 0);
  const byCode = dropped.map(([code, count]) => `${code} ${count}`).join(', ');
  return `${total} accepted message(s) made no Braze object and were dropped (${byCode}); counted in segment_braze_messages_dropped_total`;
}

/**
 * Makes the inbox's requests into Braze work, oldest first, one transaction at a time. While
 * the request path has time to spare it runs almost back to back; while requests saturate
 * it, it rests between transactions so that it takes about `shareUnderLoad` of its time and
 * acknowledging requests keeps the rest of the machine's cores. What waits meanwhile is in
 * the inbox (on disk, or in Redis), not in this process's memory.
 */
export class InboxExpander {
  private running: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** When the next transaction may start (performance.now()). */
  private nextAt = 0;
  /** Transactions failed in a row. */
  private failures = 0;
  /** Ends the wait of a batch for its turn. */
  private turnMayHaveCome: (() => void) | null = null;
  private stopListening: (() => void) | null = null;

  /** Its host calls `kick()` whenever requests have been appended to the inbox. */
  constructor(
    private readonly ends: ExpansionEnds,
    private readonly plan: () => MappingPlan,
    private readonly options: ExpanderOptions,
    private readonly observer: ExpanderObserver = {},
  ) {}

  start(): void {
    this.stopping = false;
    this.stopListening ??= this.ends.onCommitted?.(() => this.turnMayHaveCome?.()) ?? null;
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
    this.turnMayHaveCome?.();
    this.stopListening?.();
    this.stopListening = null;
    await this.running;
  }

  /** Whether a run is under way or due: false once stopped, whatever arrives. */
  get isRunning(): boolean {
    return this.running !== null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      // Never inside the caller: kick() returns at once.
      await this.rest(this.nextAt - performance.now());
      if (this.stopping) return;
      const saturated = this.options.saturated();
      const started = performance.now();
      let report;
      try {
        report = await expandBatch(this.ends, this.plan(), this.options.batchMessages, (ms) => this.waitForTurn(ms));
      } catch (error) {
        // The store is busy or failing: the requests stay in the inbox and are tried again,
        // every second at first and then less often, and an outage is a few log lines.
        this.failures++;
        this.observer.failed?.(error instanceof Error ? error.message : String(error));
        const waitMs = Math.min(1000 * 2 ** Math.min(this.failures - 1, 3), 5000);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.observer.warn?.(`inbox expansion failed${this.failures > 1 ? ` (${this.failures} in a row)` : ''}, retrying in ${waitMs / 1000} s: ${error instanceof Error ? error.message : String(error)}`);
        }
        this.nextAt = performance.now() + waitMs;
        continue;
      }
      if (this.failures > 0) {
        this.observer.warn?.(`inbox expansion works again, after ${this.failures} failed attempt(s)`);
        this.failures = 0;
      }
      // An inbox that follows others' appends is read on (its read waits); any other waits for a kick.
      if (report === null) {
        this.observer.idle?.(!this.ends.inbox.follows);
        if (this.ends.inbox.follows) continue;
        return;
      }
      this.observer.expanded?.(report);
      if (report.refused > 0) this.observer.warn?.(`${report.refusedCodes.length} accepted message(s) could not be mapped by the current mapping and went to the dead letters`);
      if (report.dropped.length > 0) this.observer.warn?.(droppedLine(report.dropped));
      // Saturated, rest long enough to take only the configured share; otherwise go straight on.
      const took = performance.now() - started;
      this.nextAt = performance.now() + (saturated ? took * (1 / this.options.shareUnderLoad - 1) : 0);
    }
  }

  /** Up to `ms`, less once work was committed elsewhere; false when the expansion stops meanwhile. */
  private waitForTurn(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.turnMayHaveCome === done) this.turnMayHaveCome = null;
        resolve(!this.stopping);
      };
      const timer = setTimeout(done, ms);
      this.turnMayHaveCome = done;
    });
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
