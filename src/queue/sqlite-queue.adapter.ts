import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BrazeRequest } from '../engine';
import { DEDUP_WINDOW_MS, DeliveryQueue, EnqueueResult, QueuedMessage } from './delivery-queue.port';
import { DeadLetter, mergeKeyOf, QueueStats, WorkItem } from './work-item';
import { SCHEMA } from './sqlite-schema';
import { takeLock } from './store-lock';

export { StoreLockedError } from './store-lock';

const PENDING = 0;
const LEASED = 1;

interface WorkRow {
  id: number;
  message_id: string;
  user_key: string;
  endpoint: string;
  arr: string;
  options: string | null;
  object: string;
  position: number;
  attempts: number;
  merge_key: string | null;
}

function toItem(row: WorkRow): WorkItem {
  return {
    id: row.id,
    messageId: row.message_id,
    userKey: row.user_key,
    endpoint: row.endpoint as BrazeRequest['endpoint'],
    array: row.arr,
    options: row.options ? JSON.parse(row.options) : {},
    object: JSON.parse(row.object),
    position: row.position,
    attempts: row.attempts,
    mergeKey: row.merge_key,
  };
}

/** Splits a mapped request into the objects it carries, with their request-level options. */
function objectsOf(request: BrazeRequest): { array: string; object: Record<string, unknown>; options: string | null }[] {
  const arrays = Object.entries(request.body).filter(([, v]) => Array.isArray(v)) as [string, Record<string, unknown>[]][];
  const optionEntries = Object.entries(request.body).filter(([, v]) => !Array.isArray(v));
  const options = optionEntries.length > 0 ? JSON.stringify(Object.fromEntries(optionEntries)) : null;
  return arrays.flatMap(([array, objects]) => objects.map((object) => ({ array, object, options })));
}

/**
 * The embedded durable queue: one SQLite file in WAL mode. A message is acknowledged to its
 * sender only after the transaction holding its Braze objects has committed.
 */
export class SqliteQueue implements DeliveryQueue {
  readonly db: Database.Database;
  private readonly statements;
  private readonly lock: string | null;

  constructor(
    dataDir: string,
    private readonly now: () => number,
    options: { synchronous?: 'NORMAL' | 'FULL'; file?: string; keepLeases?: boolean } = {},
  ) {
    mkdirSync(dataDir, { recursive: true });
    // The CLI opens the store beside a running service, so it neither locks nor touches leases.
    this.lock = options.keepLeases ? null : takeLock(dataDir);
    this.db = new Database(join(dataDir, options.file ?? 'segment-braze.db'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process; FULL also survives power loss.
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      // Inserts a new id, or refreshes one seen longer ago than the window; a duplicate changes nothing.
      claim: db.prepare('INSERT INTO dedup (message_id, received_at) VALUES (?, ?) ON CONFLICT(message_id) DO UPDATE SET received_at = excluded.received_at WHERE received_at < ?'),
      putWork: db.prepare('INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, enqueued_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      ready: db.prepare<[number, number, number], WorkRow>(`
        SELECT w.id, w.message_id, w.user_key, w.endpoint, w.arr, w.options, w.object, w.position, w.attempts, w.merge_key
        FROM work w
        WHERE w.state = ${PENDING} AND w.not_before <= ?
          AND NOT EXISTS (SELECT 1 FROM work e WHERE e.user_key = w.user_key AND e.id < w.id AND (e.state = ${LEASED} OR e.not_before > ?))
        ORDER BY w.id LIMIT ?`),
      lease: db.prepare(`UPDATE work SET state = ${LEASED} WHERE id = ?`),
      ack: db.prepare('DELETE FROM work WHERE id = ?'),
      retry: db.prepare(`UPDATE work SET state = ${PENDING}, attempts = attempts + 1, not_before = ? WHERE id = ?`),
      release: db.prepare(`UPDATE work SET state = ${PENDING} WHERE id = ?`),
      releaseAll: db.prepare(`UPDATE work SET state = ${PENDING} WHERE state = ${LEASED}`),
      toDead: db.prepare(`INSERT INTO dead_letters (message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts, reason, status, failed_at)
        SELECT message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts + 1, ?, ?, ? FROM work WHERE id = ?`),
      merged: db.prepare<[string], { m: number }>('SELECT 1 AS m FROM merged_aliases WHERE merge_key = ?'),
      markMerged: db.prepare('INSERT OR IGNORE INTO merged_aliases (merge_key, merged_at) VALUES (?, ?)'),
      counts: db.prepare<[], { pending: number; leased: number; oldest: number | null }>(
        `SELECT SUM(state = ${PENDING}) AS pending, SUM(state = ${LEASED}) AS leased, MIN(enqueued_at) AS oldest FROM work`,
      ),
      deadCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters'),
      pruneDedup: db.prepare('DELETE FROM dedup WHERE received_at < ?'),
      dryRun: db.prepare('INSERT INTO dry_run (endpoint, body, at) VALUES (?, ?, ?)'),
      pruneDryRun: db.prepare('DELETE FROM dry_run WHERE id <= (SELECT MAX(id) FROM dry_run) - ?'),
    };
    // Whatever was in flight when the last process stopped is sent again (at-least-once).
    if (!options.keepLeases) this.statements.releaseAll.run();
  }

  /** Called after new work has committed (the worker uses it to wake from an idle wait). */
  onEnqueued: (() => void) | null = null;

  private waiting: { messages: readonly QueuedMessage[]; resolve: (r: EnqueueResult) => void; reject: (e: unknown) => void }[] = [];

  /**
   * Group commit: requests that arrive in the same turn of the event loop share one
   * transaction. Each caller still resolves only after that transaction has committed.
   */
  enqueue(messages: readonly QueuedMessage[]): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ messages, resolve, reject }) === 1) setImmediate(() => this.commitWaiting());
    });
  }

  private commitWaiting(): void {
    const group = this.waiting;
    this.waiting = [];
    // Each caller's insert is its own savepoint: one bad request cannot fail the others.
    const outcomes: ({ ok: true; result: EnqueueResult } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const g of group) {
          try {
            outcomes.push({ ok: true, result: this.db.transaction(() => this.insert(g.messages))() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      group.forEach((g) => g.reject(error));
      return;
    }
    group.forEach((g, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) g.resolve(outcome.result);
      else g.reject(outcome.error);
    });
    if (outcomes.some((o) => o.ok && o.result.accepted > 0)) this.onEnqueued?.();
  }

  enqueueSync = (messages: readonly QueuedMessage[]): EnqueueResult => this.db.transaction(() => this.insert(messages))();

  private insert(messages: readonly QueuedMessage[]): EnqueueResult {
    const now = this.now();
    const duplicates: string[] = [];
    let accepted = 0;
    for (const m of messages) {
      if (this.statements.claim.run(m.messageId, now, now - DEDUP_WINDOW_MS).changes === 0) {
        duplicates.push(m.messageId);
        continue;
      }
      const payload = m.message === undefined ? null : JSON.stringify(m.message);
      // Counted across the message's requests (an order over 75 products spans several),
      // so a re-mapped dead letter finds its object again.
      const positions = new Map<string, number>();
      for (const request of m.requests) {
        for (const { array, object, options } of objectsOf(request)) {
          const slot = `${request.endpoint} ${array}`;
          const position = positions.get(slot) ?? 0;
          positions.set(slot, position + 1);
          this.statements.putWork.run(m.messageId, m.userKey, request.endpoint, array, options, JSON.stringify(object), position, mergeKeyOf(request.endpoint, object), now, payload);
        }
      }
      accepted++;
    }
    return { accepted, duplicates };
  }

  /**
   * Leases up to `limit` objects in queue order, keeping each user's order: an object is
   * eligible only when none of its user's earlier objects is in flight or waiting to retry,
   * and a user's run within one lease stops where its endpoint changes (different endpoints
   * go in different, concurrent requests).
   */
  lease(limit: number, perUser = Number.POSITIVE_INFINITY): WorkItem[] {
    return this.db.transaction(() => {
      const now = this.now();
      const rows = this.statements.ready.all(now, now, limit);
      const endpointOf = new Map<string, string>();
      const taken = new Map<string, number>();
      const blocked = new Set<string>();
      const leased: WorkItem[] = [];
      for (const row of rows) {
        if (blocked.has(row.user_key)) continue;
        const first = endpointOf.get(row.user_key);
        const count = taken.get(row.user_key) ?? 0;
        // A user's run stops at an endpoint change, and at what one request can carry.
        if ((first !== undefined && first !== row.endpoint) || count >= perUser) {
          blocked.add(row.user_key);
          continue;
        }
        endpointOf.set(row.user_key, row.endpoint);
        taken.set(row.user_key, count + 1);
        this.statements.lease.run(row.id);
        leased.push(toItem(row));
      }
      return leased;
    })();
  }

  ack(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.ack.run(id)))();
  }

  retry(ids: readonly number[], notBefore: number): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.retry.run(notBefore, id)))();
  }

  release(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.release.run(id)))();
  }

  deadLetter(entries: readonly { id: number; reason: string; status: number | null }[]): void {
    const now = this.now();
    this.db.transaction(() => {
      for (const e of entries) {
        this.statements.toDead.run(e.reason.slice(0, 2000), e.status, now, e.id);
        this.statements.ack.run(e.id);
      }
    })();
  }

  isMerged(mergeKey: string): boolean {
    return this.statements.merged.get(mergeKey) !== undefined;
  }

  markMerged(mergeKeys: readonly string[]): void {
    const now = this.now();
    this.db.transaction(() => mergeKeys.forEach((k) => this.statements.markMerged.run(k, now)))();
  }

  recordDryRun(request: BrazeRequest, keep = 10_000): void {
    this.statements.dryRun.run(request.endpoint, JSON.stringify(request.body), this.now());
    this.statements.pruneDryRun.run(keep);
  }

  dryRuns(limit: number): { endpoint: string; body: unknown; at: string }[] {
    return this.db
      .prepare<[number], { endpoint: string; body: string; at: number }>('SELECT endpoint, body, at FROM dry_run ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map((r) => ({ endpoint: r.endpoint, body: JSON.parse(r.body), at: new Date(r.at).toISOString() }));
  }

  /** Forgets deduplication entries past the 24-hour window. */
  prune(): number {
    return this.statements.pruneDedup.run(this.now() - DEDUP_WINDOW_MS).changes;
  }

  stats(): QueueStats {
    const { pending, leased, oldest } = this.statements.counts.get()!;
    return {
      pending: pending ?? 0,
      leased: leased ?? 0,
      oldestPendingAgeMs: oldest === null ? 0 : Math.max(0, this.now() - oldest),
      deadLetters: this.statements.deadCount.get()!.n,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.lock) rmSync(this.lock, { force: true });
  }
}

export type { DeadLetter };
