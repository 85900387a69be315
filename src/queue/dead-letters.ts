import Database from 'better-sqlite3';
import { purgeRecords } from './sqlite-purge';
import { StoredObjectRow } from './sqlite-schema';
import { DeadLetter, DeadLetterStore, Remap, ReplayResult, StoredDeadLetter } from './ports/dead-letter-store.port';
import { WorkObject } from './ports/work-queue.port';
import { NEVER_MAPPED } from './remap';
import { UNMAPPED } from './work-item';

interface Row extends StoredObjectRow {
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

const toStored = (r: Row): StoredDeadLetter => ({ ...toDeadLetter(r), position: r.position, message: r.payload ? JSON.parse(r.payload) : null });

/** The `dead_letters` table: inspected, replayed and purged, by the CLI beside a running service too. */
export class SqliteDeadLetters implements DeadLetterStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  async list(limit: number, offset = 0): Promise<{ total: number; items: DeadLetter[] }> {
    const total = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters').get()!.n;
    const rows = this.db.prepare<[number, number], Row>('SELECT * FROM dead_letters ORDER BY id LIMIT ? OFFSET ?').all(limit, offset);
    return { total, items: rows.map(toDeadLetter) };
  }

  async show(id: number): Promise<(DeadLetter & { readonly message: unknown }) | undefined> {
    const row = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?').get(id);
    return row && { ...toDeadLetter(row), message: row.payload ? JSON.parse(row.payload) : null };
  }

  private select(ids: readonly number[] | 'all'): Row[] {
    if (ids === 'all') return this.db.prepare<[], Row>('SELECT * FROM dead_letters ORDER BY id').all();
    const get = this.db.prepare<[number], Row>('SELECT * FROM dead_letters WHERE id = ?');
    // In the order they died, which is each user's order, whatever order they were named in.
    return [...new Set(ids)].sort((a, b) => a - b).flatMap((id) => get.all(id));
  }

  /**
   * Puts dead letters back in the queue, at its end: each object as stored, or what `remap`
   * makes of it, worked out before the transaction. A dead letter another replay or purge
   * took meanwhile is left alone.
   */
  async replay(ids: readonly number[] | 'all', remap?: Remap): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, skipped: [] };
    const replays: { row: Row; objects: readonly WorkObject[] | 'as stored' }[] = [];
    for (const row of this.select(ids)) {
      const objects = remap ? remap(toStored(row)) : row.endpoint === UNMAPPED ? NEVER_MAPPED : 'as stored';
      if (typeof objects === 'string' && objects !== 'as stored') result.skipped.push({ id: row.id, reason: objects });
      else replays.push({ row, objects });
    }
    const remove = this.db.prepare<[number]>('DELETE FROM dead_letters WHERE id = ?');
    const put = this.db.prepare(
      'INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, event_time, changes_only, enqueued_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const { row, objects } of replays) {
        if (remove.run(row.id).changes === 0) continue;
        const now = this.now();
        // As stored, it is sent whole (a dead letter keeps no changes-only policy): when in doubt, send.
        if (objects === 'as stored') put.run(row.message_id, row.user_key, row.endpoint, row.arr, row.options, row.object, row.position, row.merge_key, null, null, now, row.payload);
        else for (const o of objects) put.run(row.message_id, row.user_key, o.endpoint, o.array, o.options && JSON.stringify(o.options), JSON.stringify(o.object), o.position, o.mergeKey, o.eventTime, o.changesOnly && JSON.stringify(o.changesOnly), now, row.payload);
        result.replayed++;
      }
    })();
    return result;
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    return purgeRecords(this.db, 'dead_letters', ids);
  }
}
