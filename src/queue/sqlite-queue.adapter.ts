import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDeadLetters } from './dead-letters';
import { DEFAULT_DISK_LIMITS, DiskLimits, DiskSpace, isDiskFull } from './disk-space';
import { SqliteDroppedMessages } from './dropped-messages';
import { SqliteDryRuns } from './dry-runs';
import { InboxLog } from './inbox-log';
import { InboxReader, LogPosition } from './inbox-reader';
import { LocalWakeUp } from './local-wake-up';
import { MergeMemory } from './ports/merge-memory.port';
import { SqliteAttributeMemory } from './sqlite-attribute-memory';
import { AcceptedRequest, InboxPosition, InboxSource, RequestInbox } from './ports/request-inbox.port';
import { ChangesOnly, CommitResult, DEDUP_WINDOW_MS, Lease, LeaseLimits, MappedBatch, QueuedMessage, QueueStats, Refusal, Settlement, SettleResult, StoreHealth, WorkQueue } from './ports/work-queue.port';
import { SqliteLeases } from './sqlite-leases';
import { SCHEMA, WORK_COLUMNS_ADDED } from './sqlite-schema';
import { freePageBytes, useIncrementalVacuum, vacuumStep, WAL_SIZE_LIMIT_BYTES } from './sqlite-space';
import { StoreLock, takeLock } from './store-lock';
import { UNMAPPED } from './work-item';
import { workObjectsOf } from './work-objects';

export { StoreLockedError } from './store-lock';

/** The inbox position as this adapter writes it: a byte in a segment file. */
const asPosition = (position: LogPosition) => position as unknown as InboxPosition;
const asLogPosition = (position: InboxPosition) => position as unknown as LogPosition;

/** Statements run synchronously; the ports' promises resolve once they have committed. */
const asPromise = <T>(run: () => T): Promise<T> => {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
};

/**
 * The embedded durable queue: the inbox log beside one SQLite file in WAL mode, behind the
 * queue's ports. A request is acknowledged to its sender only after its append to the inbox
 * has completed; its Braze objects are committed later, off the request path, into `work`.
 * One process owns a DATA_DIR (store-lock.ts); the CLI and the expansion thread open it
 * `beside` that owner: no lock, no inbox writer, leases left alone.
 */
export class SqliteQueue implements WorkQueue, RequestInbox {
  /** For tests that read the tables; nothing in the service outside this adapter uses it. */
  readonly db: Database.Database;
  private readonly statements;
  private readonly leases: SqliteLeases;
  private readonly lock: StoreLock | null;
  /** Null when the store is opened beside a running service (the CLI, the expansion thread): the inbox is that service's. */
  readonly inbox: InboxLog | null;
  readonly wakeUp = new LocalWakeUp();
  readonly deadLetters: SqliteDeadLetters;
  readonly dryRuns: SqliteDryRuns;
  /** The messages the expansion dropped on purpose, recorded by commit. */
  readonly dropped: SqliteDroppedMessages;
  private closing: Promise<void> | null = null;
  readonly merges: MergeMemory;
  /** DATA_DIR's free space and the reserve file (disk-space.ts). */
  readonly disk: DiskSpace;
  /** What opening found on a full disk, for the boot log. */
  readonly notes: string[] = [];
  private maintainedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dataDir: string,
    private readonly now: () => number,
    options: { synchronous?: 'NORMAL' | 'FULL'; file?: string; beside?: boolean; disk?: DiskLimits } = {},
  ) {
    mkdirSync(dataDir, { recursive: true });
    const beside = options.beside ?? false;
    this.disk = new DiskSpace(dataDir, options.disk ?? DEFAULT_DISK_LIMITS);
    this.lock = beside ? null : takeLock(dataDir);
    // Whatever fails from here on (a damaged inbox, a database that cannot be opened) must not keep the lock: an open in this process could never be tried again.
    try {
      // A start on a full disk spends the reserve: sweeping the dead process's leases and delivering are what free space.
      if (!beside && this.disk.measure() < this.disk.limits.minFreeBytes && this.disk.releaseReserve()) {
        this.notes.push(`DATA_DIR ${dataDir} is nearly full at start: its reserve file went to the store, so that delivery can free space`);
      }
      this.db = new Database(join(dataDir, options.file ?? 'segment-braze.db'));
      if (!beside) this.noteIf(useIncrementalVacuum(this.db, this.disk.measure()));
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      // NORMAL in WAL mode survives a killed process; FULL also survives power loss.
      this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      const hadLeases = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leases'").get() !== undefined;
      this.db.exec(SCHEMA);
      addMissingColumns(this.db);
      const db = this.db;
      this.statements = {
        // Inserts a new id, or refreshes one seen longer ago than the window; a duplicate changes nothing.
        claim: db.prepare('INSERT INTO dedup (message_id, received_at) VALUES (?, ?) ON CONFLICT(message_id) DO UPDATE SET received_at = excluded.received_at WHERE received_at < ?'),
        putWork: db.prepare('INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, event_time, changes_only, enqueued_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
        // COUNT(*) and MIN read the narrow work_enqueued index, not the table's rows (~1 KB each).
        counts: db.prepare<[], { total: number; oldest: number | null }>('SELECT COUNT(*) AS total, MIN(enqueued_at) AS oldest FROM work'),
        refuse: db.prepare(`INSERT INTO dead_letters (message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts, reason, status, failed_at)
          VALUES (?, ?, '${UNMAPPED}', '-', NULL, '{}', ?, NULL, ?, 0, ?, NULL, ?)`),
        deadCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters'),
        pruneDedup: db.prepare('DELETE FROM dedup WHERE received_at < ?'),
        position: db.prepare<[], { segment: number; offset: number }>('SELECT segment, offset FROM inbox_position WHERE id = 1'),
        setPosition: db.prepare('UPDATE inbox_position SET segment = ?, offset = ? WHERE id = 1'),
        ping: db.prepare('SELECT 1'),
        merged: db.prepare<[string], { m: number }>('SELECT 1 AS m FROM merged_aliases WHERE merge_key = ?'),
        markMerged: db.prepare('INSERT OR IGNORE INTO merged_aliases (merge_key, merged_at) VALUES (?, ?)'),
      };
      this.leases = new SqliteLeases(db, now);
      this.deadLetters = new SqliteDeadLetters(db, now);
      this.dryRuns = new SqliteDryRuns(db, now);
      this.dropped = new SqliteDroppedMessages(db);
      this.merges = {
        merged: (keys) => asPromise(() => new Set(keys.filter((k) => this.statements.merged.get(k) !== undefined))),
        remember: (keys) => asPromise(() => this.db.transaction(() => keys.forEach((k) => this.statements.markMerged.run(k, this.now())))()),
      };
      const position = this.inboxPosition();
      this.inbox = beside ? null : new InboxLog(join(dataDir, 'inbox'), position, options.synchronous === 'FULL', undefined, this.disk);
      // Opening may have moved the read position (clamped after a power loss): an expansion on another thread reads it from here.
      const start = this.inbox?.reader.position;
      if (start && (start.segment !== position.segment || start.offset !== position.offset)) this.statements.setPosition.run(start.segment, start.offset);
      if (beside) return;
      // A store from before leases had owners marked leased rows 1, with no lease to name them.
      if (!hadLeases) this.db.exec('UPDATE work SET state = 0 WHERE state <> 0');
      // This process holds the DATA_DIR lock, so every lease in the store is a dead process's: the sweep takes them all at once (at-least-once).
      try {
        this.leases.sweep(true);
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        this.notes.push(`the leases of the process before could not be given back at start (${(error as Error).message}): they expire after DELIVERY_LEASE_TTL_MS and are sent again then`);
      }
      this.disk.keepReserve();
    } catch (error) {
      // `db` is unset if opening it was what failed.
      const db = (this as { db?: Database.Database }).db;
      if (db?.open) db.close();
      this.lock?.release();
      throw error;
    }
  }

  private noteIf(note: string | null): void {
    if (note) this.notes.push(note);
  }

  /**
   * A write of the owner's (leasing, settling: what frees space). Should the disk be full
   * anyway (another writer on the volume, a burst), the reserve file goes and it is tried
   * again once. A second or so apart, it also gives freed pages back and restores the reserve.
   */
  private spending<T>(write: () => T): Promise<T> {
    return asPromise(() => {
      this.maintain();
      try {
        return write();
      } catch (error) {
        if (!isDiskFull(error) || !this.disk.releaseReserve()) throw error;
        return write();
      }
    });
  }

  private maintain(): void {
    const now = Date.now();
    if (this.lock === null || now - this.maintainedAt < 1000) return;
    this.maintainedAt = now;
    try {
      vacuumStep(this.db);
      this.disk.keepReserve();
    } catch (error) {
      if (!isDiskFull(error)) throw error;
    }
  }

  /** Appends the request to the inbox; resolves once that is stored. */
  accept(request: AcceptedRequest): Promise<void> {
    if (!this.inbox) return Promise.reject(new Error('this store was opened without its inbox'));
    return this.inbox.accept(request);
  }

  /** Where the inbox's next request to expand starts, as last committed. */
  /** The memory of what Braze accepted, in this store's file (sqlite-attribute-memory.ts). */
  attributeMemory(ttlMs: number): SqliteAttributeMemory {
    return new SqliteAttributeMemory(this.db, this.now, ttlMs);
  }

  inboxPosition(): LogPosition {
    return this.statements.position.get()!;
  }

  /** A reader of its own, for an expansion beside the owner (another thread), told the write end by `writeEnd`. */
  inboxSourceBeside(writeEnd: () => LogPosition): InboxSource & { close(): void } {
    const reader = new InboxReader(join(this.dataDir, 'inbox'), this.inboxPosition(), writeEnd);
    const passReadSegments = (end: LogPosition) => this.statements.setPosition.run(end.segment, end.offset);
    return { ...readingWith(reader, passReadSegments), close: () => reader.close() };
  }

  commit(batch: MappedBatch): Promise<CommitResult> {
    return asPromise(() => {
      // The expansion grows the store; under half the minimum free it waits, leaving that room to delivery.
      const full = this.disk.expansionRefusal(freePageBytes(this.db));
      if (full) throw full;
      // IMMEDIATE: with the request path's connection also writing, take the write lock up front (waiting for it) rather than fail on upgrade.
      const result = this.db.transaction((): CommitResult => {
        const inserted = this.insert(batch.messages);
        for (const refusal of batch.refused) this.refuse(refusal);
        if (batch.inboxPosition) {
          const end = asLogPosition(batch.inboxPosition);
          this.statements.setPosition.run(end.segment, end.offset);
        }
        return inserted;
      }).immediate();
      if (result.accepted > result.dropped.length) this.wakeUp.notify();
      return result;
    });
  }

  /** An acknowledged message the current mapping cannot serve: a dead letter, so `replay --remap` can serve it after a fix. */
  private refuse(refusal: Refusal): void {
    const payload = refusal.payload === undefined ? null : JSON.stringify(refusal.payload);
    this.statements.refuse.run(refusal.messageId, refusal.userKey, refusal.index, payload, `${refusal.code}: ${refusal.message}`.slice(0, 2000), this.now());
  }

  private insert(messages: readonly QueuedMessage[]): CommitResult {
    const now = this.now();
    const dropped: { messageId: string; userKey: string; code: string; message: unknown }[] = [];
    let duplicates = 0;
    let accepted = 0;
    for (const m of messages) {
      // An id the service generated is new by construction: no claim (a random B-tree insert) needed.
      if (!m.generatedId && this.statements.claim.run(m.messageId, now, now - DEDUP_WINDOW_MS).changes === 0) {
        duplicates++;
        continue;
      }
      accepted++;
      const objects = workObjectsOf(m.requests, m.message);
      // Deduplicated like any message (a retry of it is a duplicate), but there is nothing to store.
      if (objects.length === 0) {
        dropped.push({ messageId: m.messageId, userKey: m.userKey, code: m.dropCode ?? 'NO_OBJECTS', message: m.message });
        continue;
      }
      const payload = m.message === undefined ? null : JSON.stringify(m.message);
      let options: WorkObjectOptions = { of: undefined, json: null };
      for (const o of objects) {
        // A request's options are one object for all its objects: stringified once.
        if (o.options !== options.of) options = { of: o.options, json: o.options === null ? null : JSON.stringify(o.options) };
        this.statements.putWork.run(m.messageId, m.userKey, o.endpoint, o.array, options.json, JSON.stringify(o.object), o.position, o.mergeKey, o.eventTime, changesOnlyJson(o.changesOnly), now, payload);
      }
    }
    if (dropped.length > 0) this.dropped.record(dropped, now);
    return { accepted, duplicates, dropped: dropped.map((d) => d.code) };
  }

  lease(owner: string, limits: LeaseLimits, ttlMs: number): Promise<Lease> {
    return this.spending(() => this.leases.lease(owner, limits, ttlMs));
  }

  extend(lease: Lease, ttlMs: number): Promise<boolean> {
    return this.spending(() => this.leases.extend(lease, ttlMs));
  }

  settle(lease: Lease, settlement: Settlement): Promise<SettleResult> {
    return this.spending(() => this.leases.settle(lease, settlement));
  }

  sweep(): Promise<number> {
    return this.spending(() => this.leases.sweep());
  }

  /** Forgets deduplication entries past the 24-hour window. */
  prune(): Promise<number> {
    return asPromise(() => this.statements.pruneDedup.run(this.now() - DEDUP_WINDOW_MS).changes);
  }

  stats(): Promise<QueueStats> {
    return asPromise(() => {
      const { total, oldest } = this.statements.counts.get()!;
      const leased = this.leases.leasedCount();
      return {
        inboxMessages: this.inbox?.pending().messages ?? 0,
        pending: total - leased,
        leased,
        oldestPendingAgeMs: oldest === null ? 0 : Math.max(0, this.now() - oldest),
        deadLetters: this.statements.deadCount.get()!.n,
      };
    });
  }

  /** Down when the file does not answer, when the inbox can no longer be written, or when the disk is too full to accept (readiness: can it accept?). */
  health(): Promise<StoreHealth> {
    return asPromise((): StoreHealth => {
      try {
        this.statements.ping.get();
      } catch (error) {
        return { up: false, error: (error as Error).message };
      }
      const failure = this.inbox?.failure ?? this.inbox?.refusal();
      return failure ? { up: false, error: failure.message } : { up: true };
    });
  }

  /** Lets the inbox's appends in progress finish, then closes the files and drops the lock. */
  /** Flushes the inbox and closes everything; a second call (an application closed twice) finds it done. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.inbox?.flush();
      this.inbox?.close();
      if (this.db.open) this.db.close();
      this.lock?.release();
    })());
  }
}

/** A store from before a column was added gets it, NULL in its rows: ALTER TABLE ADD COLUMN rewrites nothing. */
function addMissingColumns(db: Database.Database): void {
  const present = new Set((db.prepare("SELECT name FROM pragma_table_info('work')").all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of WORK_COLUMNS_ADDED) if (!present.has(name)) db.exec(`ALTER TABLE work ADD COLUMN ${name} ${type}`);
}

export const changesOnlyJson = (policy: ChangesOnly | null): string | null => (policy === null ? null : JSON.stringify(policy));

interface WorkObjectOptions {
  of: Readonly<Record<string, unknown>> | null | undefined;
  json: string | null;
}

/** Reads with `reader`; caught up past the end of read segments, records the position after them (`pass`) and lets them go, so their space comes back without new requests. */
function readingWith(reader: InboxReader, pass: (end: LogPosition) => void): InboxSource {
  return {
    read: (maxMessages) =>
      asPromise(() => {
        const { entries, end } = reader.next(maxMessages);
        const passed = entries.length === 0 ? reader.readSegmentsEnd() : null;
        if (passed) {
          pass(passed);
          reader.advance(passed);
        }
        return { entries, position: asPosition(end) };
      }),
    advance: (position) => asPromise(() => reader.advance(asLogPosition(position))),
  };
}
