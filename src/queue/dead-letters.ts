import Database from 'better-sqlite3';
import { mapMessage, MappingPlan } from '../engine';
import { DeadLetter, UNMAPPED } from './work-item';
import { WorkRow, workRowsOf } from './work-rows';

interface Row {
  id: number;
  message_id: string;
  user_key: string;
  endpoint: string;
  arr: string;
  object: string;
  position: number;
  attempts: number;
  reason: string;
  status: number | null;
  failed_at: number;
  payload: string | null;
}

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: r.id,
    messageId: r.message_id,
    userKey: r.user_key,
    endpoint: r.endpoint,
    array: r.arr,
    object: JSON.parse(r.object),
    reason: r.reason,
    status: r.status,
    attempts: r.attempts,
    failedAt: new Date(r.failed_at).toISOString(),
  };
}

export interface ReplayResult {
  replayed: number;
  /** With re-mapping: dead letters the current mapping no longer produces an object for. */
  skipped: { id: number; reason: string }[];
}

/** Inspect, replay and purge failed work, on the same SQLite file the service uses. */
export class DeadLetters {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  list(limit: number, offset = 0): { total: number; items: DeadLetter[] } {
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number }).n;
    const rows = this.db.prepare<[number, number], Row>('SELECT * FROM dead_letters ORDER BY id LIMIT ? OFFSET ?').all(limit, offset);
    return { total, items: rows.map(toDeadLetter) };
  }

  show(id: number): (DeadLetter & { message: unknown }) | undefined {
    const row = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?').get(id);
    if (!row) return undefined;
    return { ...toDeadLetter(row), message: row.payload ? JSON.parse(row.payload) : null };
  }

  private select(ids: readonly number[] | 'all'): Row[] {
    if (ids === 'all') return this.db.prepare<[], Row>('SELECT * FROM dead_letters ORDER BY id').all();
    const get = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?');
    return ids.flatMap((id) => get.all(id));
  }

  /**
   * Puts dead letters back in the queue, at its end. With a plan, each object is mapped again
   * from the stored Segment message (after a mapping fix); otherwise it is re-sent as stored
   * (after a key or plan fix).
   */
  replay(ids: readonly number[] | 'all', plan?: MappingPlan): ReplayResult {
    const insert = this.db.prepare(
      'INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, enqueued_at, payload) SELECT message_id, user_key, endpoint, arr, options, ?, position, merge_key, ?, payload FROM dead_letters WHERE id = ?',
    );
    const remove = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
    return this.db.transaction((): ReplayResult => {
      const result: ReplayResult = { replayed: 0, skipped: [] };
      const putRow = this.db.prepare(
        'INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, enqueued_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const row of this.select(ids)) {
        if (row.endpoint === UNMAPPED) {
          // Never made into objects: every object the mapping makes of the message now.
          const rows = plan ? mapWhole(plan, row) : 'it was never mapped: replay it with --remap once the mapping serves it';
          if (typeof rows === 'string') {
            result.skipped.push({ id: row.id, reason: rows });
            continue;
          }
          for (const w of rows) putRow.run(row.message_id, row.user_key, w.endpoint, w.array, w.options, w.object, w.position, w.mergeKey, this.now(), row.payload);
          remove.run(row.id);
          result.replayed++;
          continue;
        }
        let object = row.object;
        if (plan) {
          const stored = row.payload;
          const remapped = stored ? remap(plan, JSON.parse(stored), row) : 'the original message is no longer stored';
          if (typeof remapped === 'string') {
            result.skipped.push({ id: row.id, reason: remapped });
            continue;
          }
          object = JSON.stringify(remapped);
        }
        insert.run(object, this.now(), row.id);
        remove.run(row.id);
        result.replayed++;
      }
      return result;
    })();
  }

  purge(ids: readonly number[] | 'all'): number {
    if (ids === 'all') return this.db.prepare('DELETE FROM dead_letters').run().changes;
    const remove = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + remove.run(id).changes, 0))();
  }
}

/** Every object the current mapping makes of a message it could not map before, or why not. */
function mapWhole(plan: MappingPlan, row: Row): WorkRow[] | string {
  if (!row.payload) return 'the original message is no longer stored';
  const result = mapMessage(plan, JSON.parse(row.payload));
  if (!result.ok) return `the mapping still fails: ${result.error.code} ${result.error.message}`;
  const rows = workRowsOf(result.requests);
  // Replayed into nothing, it would vanish uncounted: it stays a dead letter, to purge once read.
  if (rows.length === 0) return `the mapping makes no Braze object of it (${result.warnings.map((w) => w.code).join(', ') || 'no warnings'})`;
  return rows;
}

/** The object the current mapping makes at the same place (endpoint, array, position). */
function remap(plan: MappingPlan, message: unknown, row: Row): Record<string, unknown> | string {
  const result = mapMessage(plan, message);
  if (!result.ok) return `the mapping now fails: ${result.error.code} ${result.error.message}`;
  const objects = result.requests.filter((r) => r.endpoint === row.endpoint).flatMap((r) => (Array.isArray(r.body[row.arr]) ? (r.body[row.arr] as Record<string, unknown>[]) : []));
  return objects[row.position] ?? `the mapping no longer makes ${row.endpoint} ${row.arr}[${row.position}]`;
}
