import { LocalWakeUp } from '../../src/queue/local-wake-up';
import { DeadLetter, DeadLetterStore, Remap, ReplayResult, StoredDeadLetter } from '../../src/queue/ports/dead-letter-store.port';
import { InboxPosition } from '../../src/queue/ports/request-inbox.port';
import { CommitResult, DEDUP_WINDOW_MS, Lease, LeaseLimits, MappedBatch, QueueStats, requestKeyOf, Settlement, SettleResult, StoreHealth, WorkId, WorkItem, WorkObject, WorkQueue } from '../../src/queue/ports/work-queue.port';
import { NEVER_MAPPED } from '../../src/queue/remap';
import { UNMAPPED } from '../../src/queue/work-item';
import { workObjectsOf } from '../../src/queue/work-objects';

interface Row extends WorkObject {
  readonly id: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly message: unknown;
  readonly enqueuedAt: number;
  attempts: number;
  notBefore: number;
  /** 0: pending; otherwise the lease holding it. */
  lease: number;
}

interface Letter extends StoredDeadLetter {
  readonly row: Omit<Row, 'id' | 'lease' | 'notBefore' | 'enqueuedAt'> | null;
}

/**
 * The work queue and dead letters in memory, written from the ports' contract alone: the
 * second backend of the contract suite, so that the suite holds to the ports and not to
 * SQLite. Not durable; for tests.
 */
export class MemoryWorkQueue implements WorkQueue, DeadLetterStore {
  readonly wakeUp = new LocalWakeUp();
  private readonly rows = new Map<number, Row>();
  private readonly claims = new Map<string, number>();
  private readonly leases = new Map<number, { owner: string; expiresAt: number; ids: number[] }>();
  private readonly letters = new Map<number, Letter>();
  private nextId = 1;
  /** What the last commit with a position recorded: where the inbox goes on. */
  inboxPosition: InboxPosition | undefined;

  constructor(private readonly now: () => number) {}

  /** Everything is staged first (messages copied as a store would serialize them), then applied: a batch that fails changes nothing. */
  async commit(batch: MappedBatch): Promise<CommitResult> {
    const now = this.now();
    const dropped: string[] = [];
    const claimed = new Set<string>();
    const rows: Omit<Row, 'id' | 'lease' | 'notBefore' | 'enqueuedAt'>[] = [];
    let duplicates = 0;
    for (const m of batch.messages) {
      const seen = this.claims.get(m.messageId);
      if (!m.generatedId && ((seen !== undefined && seen >= now - DEDUP_WINDOW_MS) || claimed.has(m.messageId))) {
        duplicates++;
        continue;
      }
      if (!m.generatedId) claimed.add(m.messageId);
      const objects = workObjectsOf(m.requests, m.message);
      if (objects.length === 0) dropped.push(m.dropCode ?? 'NO_OBJECTS');
      const message = m.message === undefined ? null : copy(m.message);
      for (const o of objects) rows.push({ ...o, messageId: m.messageId, userKey: m.userKey, message, attempts: 0 });
    }
    const refused = batch.refused.map((r) => ({ r, payload: r.payload === undefined ? null : copy(r.payload) }));
    for (const id of claimed) this.claims.set(id, now);
    rows.forEach((row) => this.put(row));
    for (const { r, payload } of refused) this.bury({ messageId: r.messageId, userKey: r.userKey, endpoint: UNMAPPED, array: '-', object: {}, position: r.index, message: payload, attempts: 0 }, `${r.code}: ${r.message}`, null, null);
    if (batch.inboxPosition) this.inboxPosition = batch.inboxPosition;
    if (rows.length > 0) this.wakeUp.notify();
    return { accepted: batch.messages.length - duplicates, duplicates, dropped };
  }

  private put(row: Omit<Row, 'id' | 'lease' | 'notBefore' | 'enqueuedAt'>): void {
    const id = this.nextId++;
    this.rows.set(id, { ...row, id, lease: 0, notBefore: 0, enqueuedAt: this.now() });
  }

  private bury(letter: Omit<StoredDeadLetter, 'id' | 'reason' | 'status' | 'failedAt'>, reason: string, status: number | null, row: Letter['row']): void {
    const id = this.nextId++;
    this.letters.set(id, { ...letter, id, reason, status, failedAt: new Date(this.now()).toISOString(), row });
  }

  async lease(owner: string, limits: LeaseLimits, ttlMs: number): Promise<Lease> {
    const now = this.now();
    const blocked = new Set<string>();
    const taken = new Map<string, number>();
    const requestOf = new Map<string, string>();
    const chosen: Row[] = [];
    for (const row of this.rows.values()) {
      if (chosen.length === limits.limit) break;
      if (blocked.has(row.userKey)) continue;
      const count = taken.get(row.userKey) ?? 0;
      const request = requestKeyOf({ endpoint: row.endpoint, options: row.options ?? {} });
      const otherRequest = limits.oneRequestPerUser && (requestOf.get(row.userKey) ?? request) !== request;
      if (row.lease !== 0 || row.notBefore > now || count >= limits.perUser || otherRequest) {
        blocked.add(row.userKey);
        continue;
      }
      requestOf.set(row.userKey, request);
      taken.set(row.userKey, count + 1);
      chosen.push(row);
    }
    if (chosen.length === 0) return { id: '', owner, expiresAt: 0, items: [] };
    const id = this.nextId++;
    this.leases.set(id, { owner, expiresAt: now + ttlMs, ids: chosen.map((r) => r.id) });
    for (const row of chosen) row.lease = id;
    return { id: String(id), owner, expiresAt: now + ttlMs, items: chosen.map(toItem) };
  }

  /** The lease while it is still its owner's: not expired, swept or settled. */
  private held(lease: Lease) {
    const held = this.leases.get(Number(lease.id));
    return held?.owner === lease.owner && held.expiresAt > this.now() ? held : undefined;
  }

  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    if (lease.id === '') return true;
    const held = this.held(lease);
    if (!held) return false;
    held.expiresAt = this.now() + ttlMs;
    return true;
  }

  async settle(lease: Lease, settlement: Settlement): Promise<SettleResult> {
    if (lease.id === '') return { settled: true };
    const id = Number(lease.id);
    if (!this.held(lease)) return { settled: false, reason: `lease ${lease.id} expired` };
    const held = (work: WorkId) => ((row) => (row?.lease === id ? row : undefined))(this.rows.get(Number(work)));
    for (const work of settlement.ack ?? []) if (held(work)) this.rows.delete(Number(work));
    for (const r of settlement.retry ?? []) {
      const row = held(r.id);
      if (row) Object.assign(row, { attempts: row.attempts + 1, notBefore: r.notBefore });
    }
    for (const r of settlement.defer ?? []) {
      const row = held(r.id);
      if (row) row.notBefore = r.notBefore;
    }
    for (const d of settlement.deadLetter ?? []) {
      const row = held(d.id);
      if (!row) continue;
      this.rows.delete(row.id);
      this.bury({ ...row, attempts: row.attempts + 1 }, d.reason, d.status, row);
    }
    this.release(id);
    return { settled: true };
  }

  private release(lease: number): void {
    for (const work of this.leases.get(lease)!.ids) {
      const row = this.rows.get(work);
      if (row?.lease === lease) row.lease = 0;
    }
    this.leases.delete(lease);
  }

  async sweep(): Promise<number> {
    let back = 0;
    for (const [id, lease] of this.leases) {
      if (lease.expiresAt > this.now()) continue;
      back += lease.ids.filter((work) => this.rows.get(work)?.lease === id).length;
      this.release(id);
    }
    return back;
  }

  async prune(): Promise<number> {
    let n = 0;
    for (const [key, at] of this.claims) if (at < this.now() - DEDUP_WINDOW_MS && this.claims.delete(key)) n++;
    return n;
  }

  async stats(): Promise<QueueStats> {
    const leased = [...this.rows.values()].filter((r) => r.lease !== 0).length;
    const oldest = Math.min(...[...this.rows.values()].map((r) => r.enqueuedAt));
    return { inboxMessages: 0, pending: this.rows.size - leased, leased, oldestPendingAgeMs: this.rows.size === 0 ? 0 : this.now() - oldest, deadLetters: this.letters.size };
  }

  async health(): Promise<StoreHealth> {
    return { up: true };
  }

  async close(): Promise<void> {}

  async list(limit: number, offset = 0): Promise<{ total: number; items: DeadLetter[] }> {
    return { total: this.letters.size, items: [...this.letters.values()].slice(offset, offset + limit).map(publicLetter) };
  }

  async show(id: number): Promise<(DeadLetter & { readonly message: unknown }) | undefined> {
    const letter = this.letters.get(id);
    return letter && { ...publicLetter(letter), message: letter.message };
  }

  async replay(ids: readonly number[] | 'all', remap?: Remap): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, skipped: [] };
    for (const id of ids === 'all' ? [...this.letters.keys()] : ids) {
      const letter = this.letters.get(id);
      if (!letter) continue;
      const objects = remap ? remap(letter) : letter.row ? [letter.row] : NEVER_MAPPED;
      if (typeof objects === 'string') {
        result.skipped.push({ id, reason: objects });
        continue;
      }
      this.letters.delete(id);
      for (const o of objects) this.put({ ...o, messageId: letter.messageId, userKey: letter.userKey, message: letter.message, attempts: 0 });
      result.replayed++;
    }
    return result;
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    const targets = ids === 'all' ? [...this.letters.keys()] : ids;
    return targets.filter((id) => this.letters.delete(id)).length;
  }
}

/** What a store would keep of a value: its JSON (which throws on what JSON cannot hold). */
const copy = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function toItem(row: Row): WorkItem {
  const { id, messageId, userKey, endpoint, array, options, object, position, attempts, mergeKey, eventTime, changesOnly } = row;
  return { id: String(id) as WorkId, messageId, userKey, endpoint, array, options: options ?? {}, object, position, attempts, mergeKey, eventTime, changesOnly };
}

function publicLetter(letter: Letter): DeadLetter {
  const { id, messageId, userKey, endpoint, array, object, reason, status, attempts, failedAt } = letter;
  return { id, messageId, userKey, endpoint, array, object: object as Record<string, unknown>, reason, status, attempts, failedAt };
}
