import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BrazeRequest } from '../engine';
import { AcceptedRequest, DEDUP_WINDOW_MS, DeliveryQueue, QueuedMessage } from './delivery-queue.port';
import { ExpandResult, MappedRequest, expandSafely, InboxEntry, NOTHING_EXPANDED, Refusal } from './inbox';
import { InboxLog } from './inbox-log';
import { InboxReader, LogPosition } from './inbox-reader';
import { DeadLetter, QueueStats, UNMAPPED, WorkItem } from './work-item';
import { workRowsOf } from './work-rows';
import { SCHEMA } from './sqlite-schema';
import { StoreLock, takeLock } from './store-lock';

export { StoreLockedError } from './store-lock';

/** What writing mapped messages did: how many were new, which ids were duplicates, and the drop codes of the new ones that made no work. */
interface Inserted {
  accepted: number;
  duplicates: string[];
  dropped: string[];
}

const PENDING = 0;
const LEASED = 1;
/** Rows a lease reads at most, and per statement. */
const LEASE_SCAN_ROWS = 50_000;
const LEASE_SCAN_PAGE = 2_000;

interface ScanRow {
  id: number;
  user_key: string;
  endpoint: string;
  state: number;
  not_before: number;
}

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

/**
 * The embedded durable queue: the inbox log beside one SQLite file in WAL mode. A request is
 * acknowledged to its sender only after its append to the inbox has completed; its Braze
 * objects are made from it by `expandInbox`, off the request path, into the `work` table.
 */
export class SqliteQueue implements DeliveryQueue {
  readonly db: Database.Database;
  private readonly statements;
  private readonly lock: StoreLock | null;
  /** Null when the store is opened beside a running service (the CLI, the expansion thread): the inbox is that service's. */
  readonly inbox: InboxLog | null;
  /** The objects this process has in flight: counted here, so stats need not read every row's state. */
  private readonly leased = new Set<number>();
  /** Opened beside the running service that owns the store: no lock, no inbox writer, its leases left alone. */
  private readonly beside: boolean;

  constructor(
    dataDir: string,
    private readonly now: () => number,
    options: { synchronous?: 'NORMAL' | 'FULL'; file?: string; beside?: boolean } = {},
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.beside = options.beside ?? false;
    this.lock = this.beside ? null : takeLock(dataDir);
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
      // The queue's head in id order, every state: what is in flight or waiting blocks its user.
      scan: db.prepare<[number, number], ScanRow>('SELECT id, user_key, endpoint, state, not_before FROM work WHERE id > ? ORDER BY id LIMIT ?'),
      lease: db.prepare<[number], WorkRow>(`UPDATE work SET state = ${LEASED} WHERE id = ?
        RETURNING id, message_id, user_key, endpoint, arr, options, object, position, attempts, merge_key`),
      ack: db.prepare('DELETE FROM work WHERE id = ?'),
      retry: db.prepare(`UPDATE work SET state = ${PENDING}, attempts = attempts + 1, not_before = ? WHERE id = ?`),
      release: db.prepare(`UPDATE work SET state = ${PENDING} WHERE id = ?`),
      releaseAll: db.prepare(`UPDATE work SET state = ${PENDING} WHERE state = ${LEASED}`),
      toDead: db.prepare(`INSERT INTO dead_letters (message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts, reason, status, failed_at)
        SELECT message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts + 1, ?, ?, ? FROM work WHERE id = ?`),
      merged: db.prepare<[string], { m: number }>('SELECT 1 AS m FROM merged_aliases WHERE merge_key = ?'),
      markMerged: db.prepare('INSERT OR IGNORE INTO merged_aliases (merge_key, merged_at) VALUES (?, ?)'),
      // COUNT(*) and MIN read the narrow work_enqueued index, not the table's rows (~1 KB each).
      counts: db.prepare<[], { total: number; oldest: number | null }>('SELECT COUNT(*) AS total, MIN(enqueued_at) AS oldest FROM work'),
      leasedCount: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM work WHERE state = ${LEASED}`),
      refuse: db.prepare(`INSERT INTO dead_letters (message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts, reason, status, failed_at)
        VALUES (?, ?, '${UNMAPPED}', '-', NULL, '{}', ?, NULL, ?, 0, ?, NULL, ?)`),
      deadCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters'),
      pruneDedup: db.prepare('DELETE FROM dedup WHERE received_at < ?'),
      dryRun: db.prepare('INSERT INTO dry_run (endpoint, body, at) VALUES (?, ?, ?)'),
      pruneDryRun: db.prepare('DELETE FROM dry_run WHERE id <= (SELECT MAX(id) FROM dry_run) - ?'),
      position: db.prepare<[], { segment: number; offset: number }>('SELECT segment, offset FROM inbox_position WHERE id = 1'),
      setPosition: db.prepare('UPDATE inbox_position SET segment = ?, offset = ? WHERE id = 1'),
    };
    const position = this.inboxPosition();
    this.inbox = options.beside ? null : new InboxLog(join(dataDir, 'inbox'), position, options.synchronous === 'FULL');
    // Opening may have moved the read position (clamped after a power loss): an expansion on another thread reads it from here.
    const start = this.inbox?.reader.position;
    if (start && (start.segment !== position.segment || start.offset !== position.offset)) this.statements.setPosition.run(start.segment, start.offset);
    // Whatever was in flight when the last process stopped is sent again (at-least-once).
    if (!options.beside) this.statements.releaseAll.run();
  }

  /** Called after new work has committed (the worker uses it to wake from an idle wait). */
  onEnqueued: (() => void) | null = null;

  /** Appends the request to the inbox; resolves once that is stored. */
  accept(request: AcceptedRequest): Promise<void> {
    if (!this.inbox) return Promise.reject(new Error('this store was opened without its inbox'));
    return this.inbox.accept(request);
  }

  /** Where the inbox's next request to expand starts, as last committed. */
  inboxPosition(): LogPosition {
    return this.statements.position.get()!;
  }

  /**
   * Makes work from the oldest stored requests, about `maxMessages` messages, in one
   * transaction that also moves the inbox's read position past them.
   */
  expandInbox(maxMessages: number, expansionOf: (entry: InboxEntry) => MappedRequest): ExpandResult {
    if (!this.inbox) return NOTHING_EXPANDED;
    const result = this.expandFrom(this.inbox.reader, maxMessages, expansionOf);
    this.inbox.expanded(result.requests, result.messages);
    if (result.messages > result.duplicates + result.refused) this.onEnqueued?.();
    return result;
  }

  /** `expandInbox` with a reader of its own: what an expansion on another thread, on its own connection, runs. */
  expandFrom(reader: InboxReader, maxMessages: number, expansionOf: (entry: InboxEntry) => MappedRequest): ExpandResult {
    const { entries, end } = reader.next(maxMessages);
    if (entries.length === 0) return NOTHING_EXPANDED;
    // IMMEDIATE: with the request path's connection also writing, take the write lock up front (waiting for it) rather than fail on upgrade.
    const result = this.db.transaction((): ExpandResult => {
      let messages = 0;
      let duplicates = 0;
      let refused = 0;
      const dropped = new Map<string, number>();
      for (const entry of entries) {
        const expansion = expandSafely(entry, expansionOf);
        const inserted = this.insert(expansion.messages);
        duplicates += inserted.duplicates.length;
        for (const code of inserted.dropped) dropped.set(code, (dropped.get(code) ?? 0) + 1);
        for (const refusal of expansion.refused) this.refuse(refusal);
        refused += expansion.refused.length;
        messages += entry.messages;
      }
      this.statements.setPosition.run(end.segment, end.offset);
      return { requests: entries.length, messages, duplicates, refused, dropped: [...dropped] };
    }).immediate();
    reader.advance(end);
    return result;
  }

  /** An acknowledged message the current mapping cannot serve: a dead letter, so `replay --remap` can serve it after a fix. */
  private refuse(refusal: Refusal): void {
    const payload = refusal.payload === undefined ? null : JSON.stringify(refusal.payload);
    this.statements.refuse.run(refusal.messageId, refusal.userKey, refusal.index, payload, `${refusal.code}: ${refusal.message}`.slice(0, 2000), this.now());
  }

  /** Work written straight in, without the inbox (tests, and tools that already hold mapped messages). */
  enqueueSync = (messages: readonly QueuedMessage[]): Inserted => this.db.transaction(() => this.insert(messages))();

  private insert(messages: readonly QueuedMessage[]): Inserted {
    const now = this.now();
    const duplicates: string[] = [];
    const dropped: string[] = [];
    let accepted = 0;
    for (const m of messages) {
      // An id the service generated is new by construction: no claim (a random B-tree insert) needed.
      if (!m.generatedId && this.statements.claim.run(m.messageId, now, now - DEDUP_WINDOW_MS).changes === 0) {
        duplicates.push(m.messageId);
        continue;
      }
      accepted++;
      const rows = workRowsOf(m.requests);
      // Deduplicated like any message (a retry of it is a duplicate), but there is nothing to store.
      if (rows.length === 0) {
        dropped.push(m.dropCode ?? 'NO_OBJECTS');
        continue;
      }
      const payload = m.message === undefined ? null : JSON.stringify(m.message);
      for (const row of rows) {
        this.statements.putWork.run(m.messageId, m.userKey, row.endpoint, row.array, row.options, row.object, row.position, row.mergeKey, now, payload);
      }
    }
    return { accepted, duplicates, dropped };
  }

  /**
   * Leases up to `limit` objects in queue order, keeping each user's order: an object is
   * eligible only when none of its user's earlier objects is in flight or waiting to retry,
   * and a user's run within one lease stops where its endpoint changes (different endpoints
   * go in different, concurrent requests). It reads the queue from its head by primary key,
   * so no per-user index has to be written for every object enqueued; at most
   * LEASE_SCAN_ROWS rows are read per lease, so a head of that many blocked objects (users
   * waiting on retries) holds back the users behind it until their retries come round.
   */
  lease(limit: number, perUser = Number.POSITIVE_INFINITY): WorkItem[] {
    // IMMEDIATE: a read that upgrades to a write fails at once (SQLITE_BUSY) if the expansion's connection wrote meanwhile.
    return this.db.transaction(() => {
      const now = this.now();
      const endpointOf = new Map<string, string>();
      const taken = new Map<string, number>();
      const blocked = new Set<string>();
      const chosen: number[] = [];
      let after = 0;
      for (let scanned = 0; chosen.length < limit && scanned < LEASE_SCAN_ROWS; ) {
        const page = this.statements.scan.all(after, Math.min(LEASE_SCAN_PAGE, LEASE_SCAN_ROWS - scanned));
        if (page.length === 0) break;
        scanned += page.length;
        after = page[page.length - 1].id;
        for (const row of page) {
          if (blocked.has(row.user_key)) continue;
          const first = endpointOf.get(row.user_key);
          const count = taken.get(row.user_key) ?? 0;
          // In flight or waiting to retry; or the user's run stops at an endpoint change, or at what one request can carry.
          if (row.state === LEASED || row.not_before > now || (first !== undefined && first !== row.endpoint) || count >= perUser) {
            blocked.add(row.user_key);
            continue;
          }
          endpointOf.set(row.user_key, row.endpoint);
          taken.set(row.user_key, count + 1);
          chosen.push(row.id);
          if (chosen.length === limit) break;
        }
      }
      for (const id of chosen) this.leased.add(id);
      return chosen.map((id) => toItem(this.statements.lease.get(id)!));
    }).immediate();
  }

  ack(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.ack.run(id)))();
    this.settled(ids);
  }

  retry(ids: readonly number[], notBefore: number): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.retry.run(notBefore, id)))();
    this.settled(ids);
  }

  release(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.statements.release.run(id)))();
    this.settled(ids);
  }

  /** No longer in flight (after the transaction that says so has committed). */
  private settled(ids: readonly number[]): void {
    for (const id of ids) this.leased.delete(id);
  }

  deadLetter(entries: readonly { id: number; reason: string; status: number | null }[]): void {
    const now = this.now();
    this.db.transaction(() => {
      for (const e of entries) {
        this.statements.toDead.run(e.reason.slice(0, 2000), e.status, now, e.id);
        this.statements.ack.run(e.id);
      }
    })();
    this.settled(entries.map((e) => e.id));
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
    const { total, oldest } = this.statements.counts.get()!;
    // Beside a running service (the CLI) the leases are that process's: read them from the rows.
    const leased = this.beside ? this.statements.leasedCount.get()!.n : this.leased.size;
    return {
      inboxMessages: this.inbox?.pending().messages ?? 0,
      pending: total - leased,
      leased,
      oldestPendingAgeMs: oldest === null ? 0 : Math.max(0, this.now() - oldest),
      deadLetters: this.statements.deadCount.get()!.n,
    };
  }

  close(): void {
    this.inbox?.close();
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}

export type { DeadLetter };
