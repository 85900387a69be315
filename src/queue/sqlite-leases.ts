import Database from 'better-sqlite3';
import { BrazeRequest } from '../engine';
import { Lease, LeaseLimits, Settlement, SettleResult, WorkId, WorkItem } from './ports/work-queue.port';
import { WorkRow } from './sqlite-schema';

/** A work row's `state` when no lease holds it; otherwise it holds the lease's id. */
export const PENDING = 0;
/** Rows a lease reads at most, and per statement. */
const LEASE_SCAN_ROWS = 50_000;
const LEASE_SCAN_PAGE = 2_000;

interface ScanRow {
  id: number;
  user_key: string;
  state: number;
  not_before: number;
}

/** The request a row goes in, as stored: options are JSON or null for none, so equal texts are equal options (one JSON.stringify wrote both). */
interface RequestRow {
  endpoint: string;
  options: string | null;
}


function toItem(row: WorkRow): WorkItem {
  return {
    id: String(row.id) as WorkId,
    messageId: row.message_id,
    userKey: row.user_key,
    endpoint: row.endpoint as BrazeRequest['endpoint'],
    array: row.arr,
    options: row.options ? JSON.parse(row.options) : {},
    object: JSON.parse(row.object),
    position: row.position,
    attempts: row.attempts,
    mergeKey: row.merge_key,
    eventTime: row.event_time,
    changesOnly: row.changes_only === null ? null : JSON.parse(row.changes_only),
  };
}

const NOTHING: Omit<Lease, 'owner'> = Object.freeze({ id: '', expiresAt: 0, items: Object.freeze([]) });

/**
 * Leases on the `work` table. A lease is a row of `leases` (owner, expiry, its work ids);
 * each leased work row's `state` names it. Lease ids are never reused (AUTOINCREMENT), so a
 * settlement of a swept lease can never match rows a later lease holds. Extending a lease
 * writes one row, whatever its size; the sweep reads the small `leases` table, never `work`.
 */
export class SqliteLeases {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.s = {
      // The queue's head in id order, every state: what is in flight or waiting blocks its user.
      scan: db.prepare<[number, number], ScanRow>('SELECT id, user_key, state, not_before FROM work WHERE id > ? ORDER BY id LIMIT ?'),
      // Read only for rows a lease would take: a head of blocked rows costs no more than without it.
      request: db.prepare<[number], RequestRow>('SELECT endpoint, options FROM work WHERE id = ?'),
      newLease: db.prepare<[string, number, string, number]>('INSERT INTO leases (owner, expires_at, items, n) VALUES (?, ?, ?, ?)'),
      take: db.prepare<[number, number], WorkRow>(`UPDATE work SET state = ? WHERE id = ?
        RETURNING id, message_id, user_key, endpoint, arr, options, object, position, attempts, merge_key, event_time, changes_only`),
      // Only before its expiry: from then on the lease is nobody's, swept or not.
      extend: db.prepare<[number, number, string, number]>('UPDATE leases SET expires_at = ? WHERE id = ? AND owner = ? AND expires_at > ?'),
      held: db.prepare<[number, string, number], { items: string }>('SELECT items FROM leases WHERE id = ? AND owner = ? AND expires_at > ?'),
      ack: db.prepare<[number, number]>('DELETE FROM work WHERE id = ? AND state = ?'),
      retry: db.prepare<[number, number, number]>(`UPDATE work SET state = ${PENDING}, attempts = attempts + 1, not_before = ? WHERE id = ? AND state = ?`),
      defer: db.prepare<[number, number, number]>(`UPDATE work SET state = ${PENDING}, not_before = ? WHERE id = ? AND state = ?`),
      toDead: db.prepare<[string, number | null, number, number, number]>(`INSERT INTO dead_letters (message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts, reason, status, failed_at)
        SELECT message_id, user_key, endpoint, arr, options, object, position, merge_key, payload, attempts + 1, ?, ?, ? FROM work WHERE id = ? AND state = ?`),
      release: db.prepare<[number, number]>(`UPDATE work SET state = ${PENDING} WHERE id = ? AND state = ?`),
      endLease: db.prepare<[number]>('DELETE FROM leases WHERE id = ?'),
      expired: db.prepare<[number], { id: number; items: string }>('SELECT id, items FROM leases WHERE expires_at <= ?'),
      all: db.prepare<[], { id: number; items: string }>('SELECT id, items FROM leases'),
      leasedCount: db.prepare<[], { n: number }>('SELECT COALESCE(SUM(n), 0) AS n FROM leases'),
    };
  }

  /**
   * Up to `limit` objects in queue order, keeping each user's order: an object is eligible
   * only when none of its user's earlier objects is in flight or waiting to retry. It reads
   * the queue from its head by primary key, so no per-user index has to be written for every
   * object enqueued; at most LEASE_SCAN_ROWS rows are read per lease, so a head of that many
   * blocked objects (users waiting on retries) holds back the users behind it until their
   * retries come round.
   */
  lease(owner: string, { limit, perUser, oneRequestPerUser }: LeaseLimits, ttlMs: number): Lease {
    // IMMEDIATE: a read that upgrades to a write fails at once (SQLITE_BUSY) if the expansion's connection wrote meanwhile.
    return this.db.transaction((): Lease => {
      const now = this.now();
      const taken = new Map<string, number>();
      /** Each user's first object's request, with `oneRequestPerUser`. */
      const requestOf = new Map<string, RequestRow>();
      const blocked = new Set<string>();
      const chosen: number[] = [];
      let after = 0;
      for (let scanned = 0; chosen.length < limit && scanned < LEASE_SCAN_ROWS; ) {
        const page = this.s.scan.all(after, Math.min(LEASE_SCAN_PAGE, LEASE_SCAN_ROWS - scanned));
        if (page.length === 0) break;
        scanned += page.length;
        after = page[page.length - 1].id;
        for (const row of page) {
          if (blocked.has(row.user_key)) continue;
          const count = taken.get(row.user_key) ?? 0;
          // In flight or waiting to retry, as many as one round may take of a user, or (oneRequestPerUser) for another request than the user's first: the user's later objects wait.
          if (row.state !== PENDING || row.not_before > now || count >= perUser || (oneRequestPerUser && !this.sameRequest(requestOf, row))) {
            blocked.add(row.user_key);
            continue;
          }
          taken.set(row.user_key, count + 1);
          chosen.push(row.id);
          if (chosen.length === limit) break;
        }
      }
      if (chosen.length === 0) return { ...NOTHING, owner };
      const expiresAt = now + ttlMs;
      const id = Number(this.s.newLease.run(owner, expiresAt, JSON.stringify(chosen), chosen.length).lastInsertRowid);
      return { id: String(id), owner, expiresAt, items: chosen.map((row) => toItem(this.s.take.get(id, row)!)) };
    }).immediate();
  }

  extend(lease: Lease, ttlMs: number): boolean {
    if (lease.id === NOTHING.id) return true;
    const now = this.now();
    return this.s.extend.run(now + ttlMs, Number(lease.id), lease.owner, now).changes === 1;
  }

  settle(lease: Lease, settlement: Settlement): SettleResult {
    if (lease.id === NOTHING.id) return { settled: true };
    const id = Number(lease.id);
    // IMMEDIATE: it reads the lease before writing; a deferred transaction would fail at once (SQLITE_BUSY) if the expansion's connection wrote in between.
    return this.db.transaction((): SettleResult => {
      const held = this.s.held.get(id, lease.owner, this.now());
      if (!held) return { settled: false, reason: `lease ${lease.id} expired: its objects go back to the queue` };
      const named = new Set<WorkId>();
      for (const work of settlement.ack ?? []) {
        this.s.ack.run(Number(work), id);
        named.add(work);
      }
      for (const r of settlement.retry ?? []) {
        this.s.retry.run(r.notBefore, Number(r.id), id);
        named.add(r.id);
      }
      for (const r of settlement.defer ?? []) {
        this.s.defer.run(r.notBefore, Number(r.id), id);
        named.add(r.id);
      }
      const now = this.now();
      for (const d of settlement.deadLetter ?? []) {
        this.s.toDead.run(d.reason.slice(0, 2000), d.status, now, Number(d.id), id);
        this.s.ack.run(Number(d.id), id);
        named.add(d.id);
      }
      // The stored lease's objects, not the caller's list: a row left naming an ended lease would block its user for good.
      for (const work of JSON.parse(held.items) as number[]) if (!named.has(String(work) as WorkId)) this.s.release.run(work, id);
      this.s.endLease.run(id);
      return { settled: true };
    }).immediate();
  }

  /** Gives the objects of expired leases (with `all`, of every lease: their owner is known dead) back to the queue. */
  sweep(all = false): number {
    return this.db.transaction(() => {
      let objects = 0;
      for (const lease of all ? this.s.all.all() : this.s.expired.all(this.now())) {
        for (const work of JSON.parse(lease.items) as number[]) objects += this.s.release.run(work, lease.id).changes;
        this.s.endLease.run(lease.id);
      }
      return objects;
    }).immediate();
  }

  /** Whether `row` could go in the same request as its user's first object of the lease (which it records when it is the first). */
  private sameRequest(firstOf: Map<string, RequestRow>, row: ScanRow): boolean {
    const request = this.s.request.get(row.id)!;
    const first = firstOf.get(row.user_key);
    if (first === undefined) firstOf.set(row.user_key, request);
    return first === undefined || (first.endpoint === request.endpoint && first.options === request.options);
  }

  /** Read from the leases, not the work rows, so counting costs nothing however long the queue. */
  leasedCount(): number {
    return this.s.leasedCount.get()!.n;
  }
}
