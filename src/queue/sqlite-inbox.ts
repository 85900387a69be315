import Database from 'better-sqlite3';
import { AcceptedRequest, QueuedMessage } from './delivery-queue.port';

/** A stored request, as the expansion reads it back. */
export interface InboxEntry {
  readonly id: number;
  readonly source: string;
  readonly body: Buffer;
  readonly receivedAt: number;
  readonly idBase: string;
  readonly skip: readonly number[];
}

/** A message that was acknowledged but cannot be made into Braze work now (the mapping changed in between, say). */
export interface Refusal {
  readonly index: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly code: string;
  readonly message: string;
  readonly payload: unknown;
}

export interface Expansion {
  readonly messages: readonly QueuedMessage[];
  readonly refused: readonly Refusal[];
  /** Braze objects made, by array name (attributes, events, …), for the metrics. */
  readonly objects: ReadonlyMap<string, number>;
}

export interface ExpandResult {
  readonly requests: number;
  readonly messages: number;
  readonly duplicates: number;
  readonly refused: number;
}

interface InboxRow {
  id: number;
  source: string;
  body: Buffer;
  received_at: number;
  id_base: string;
  skip: string | null;
  messages: number;
}

/**
 * The request path's half of the durable queue: one row per accepted HTTP request, holding
 * its body as received. Appending one row is what makes a 200 cheap; the per-object work
 * rows (and the deduplication entries, whose random keys cost a B-tree page each) are made
 * from it later in large transactions by `expand`, which deletes the row in the same commit.
 */
export class SqliteInbox {
  private readonly statements;
  private waiting: { request: AcceptedRequest; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Requests committed since the process started; the expander reads it to tell whether requests are arriving. */
  acceptedCount = 0;
  /** Called after accepted requests have committed. */
  onAccepted: (() => void) | null = null;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      put: db.prepare('INSERT INTO inbox (source, body, received_at, id_base, skip, messages) VALUES (?, ?, ?, ?, ?, ?)'),
      next: db.prepare<[number], InboxRow>('SELECT id, source, body, received_at, id_base, skip, messages FROM inbox ORDER BY id LIMIT ?'),
      remove: db.prepare('DELETE FROM inbox WHERE id = ?'),
      pending: db.prepare<[], { requests: number; messages: number | null }>('SELECT COUNT(*) AS requests, SUM(messages) AS messages FROM inbox'),
    };
  }

  /**
   * Group commit: requests that arrive in the same turn of the event loop share one
   * transaction. Each caller still resolves only after that transaction has committed.
   */
  accept(request: AcceptedRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ request, resolve, reject }) === 1) setImmediate(() => this.commitWaiting());
    });
  }

  private commitWaiting(): void {
    const group = this.waiting;
    this.waiting = [];
    const failures: unknown[] = [];
    try {
      this.db.transaction(() => {
        // Each caller's row is its own savepoint: one bad request cannot fail the others.
        for (const { request } of group) {
          try {
            this.db.transaction(() => this.put(request))();
            failures.push(null);
          } catch (error) {
            failures.push(error ?? new Error('the inbox insert failed'));
          }
        }
      })();
    } catch (error) {
      group.forEach((g) => g.reject(error));
      return;
    }
    group.forEach((g, i) => (failures[i] === null ? g.resolve() : g.reject(failures[i])));
    this.acceptedCount += group.length;
    this.onAccepted?.();
  }

  private put(r: AcceptedRequest): void {
    this.statements.put.run(r.source, r.body, r.receivedAt, r.idBase, r.skip.length > 0 ? JSON.stringify(r.skip) : null, r.messages);
  }

  /**
   * Turns stored requests into work, oldest first, in one transaction of at least one
   * request and about `maxMessages` messages. `store` writes the work (and deduplicates);
   * `refuse` keeps a message that can no longer be mapped, so nothing acknowledged is dropped.
   */
  expand(
    maxMessages: number,
    expansionOf: (entry: InboxEntry) => Expansion,
    store: (messages: readonly QueuedMessage[]) => { accepted: number; duplicates: readonly string[] },
    refuse: (entry: InboxEntry, refusal: Refusal) => void,
  ): ExpandResult {
    return this.db.transaction(() => {
      let requests = 0;
      let messages = 0;
      let duplicates = 0;
      let refused = 0;
      for (const row of this.statements.next.all(Math.max(1, Math.min(256, maxMessages)))) {
        if (requests > 0 && messages + row.messages > maxMessages) break;
        const entry = toEntry(row);
        const expansion = expandSafely(entry, expansionOf);
        duplicates += store(expansion.messages).duplicates.length;
        for (const refusal of expansion.refused) refuse(entry, refusal);
        refused += expansion.refused.length;
        this.statements.remove.run(row.id);
        requests++;
        messages += row.messages;
      }
      return { requests, messages, duplicates, refused };
    })();
  }

  pending(): { requests: number; messages: number } {
    const { requests, messages } = this.statements.pending.get()!;
    return { requests, messages: messages ?? 0 };
  }
}

function toEntry(row: InboxRow): InboxEntry {
  return { id: row.id, source: row.source, body: row.body, receivedAt: row.received_at, idBase: row.id_base, skip: row.skip ? (JSON.parse(row.skip) as number[]) : [] };
}

/** A body that cannot be admitted again at all (it could be, when it was answered) is kept whole as one refusal. */
function expandSafely(entry: InboxEntry, expansionOf: (entry: InboxEntry) => Expansion): Expansion {
  try {
    return expansionOf(entry);
  } catch (error) {
    const message = `the stored request could not be read again: ${error instanceof Error ? error.message : String(error)}`;
    return { messages: [], objects: new Map(), refused: [{ index: -1, messageId: `${entry.idBase}-request`, userKey: '', code: 'EXPANSION_FAILED', message, payload: entry.body.toString('utf8') }] };
  }
}
