import Database from 'better-sqlite3';
import { purgeRecords } from './sqlite-purge';
import { DroppedMessages, DroppedRecord } from './ports/dropped-messages.port';

interface Row {
  id: number;
  message_id: string;
  user_key: string;
  code: string;
  payload: string | null;
  at: number;
}

/** How many dropped messages are kept: the most recent. */
const KEEP = 10_000;

const toRecord = (row: Row): DroppedRecord => ({
  id: row.id,
  at: new Date(row.at).toISOString(),
  messageId: row.message_id,
  userKey: row.user_key,
  code: row.code,
  message: row.payload === null ? null : JSON.parse(row.payload),
});

/** The `dropped` table: what the expansion made nothing of on purpose, the most recent KEEP messages. */
export class SqliteDroppedMessages implements DroppedMessages {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insert: db.prepare('INSERT INTO dropped (message_id, user_key, code, payload, at) VALUES (?, ?, ?, ?, ?)'),
      prune: db.prepare('DELETE FROM dropped WHERE id <= (SELECT MAX(id) FROM dropped) - ?'),
    };
  }

  /** Called inside the work queue's commit transaction, once per commit that dropped anything. */
  record(messages: readonly { messageId: string; userKey: string; code: string; message: unknown }[], at: number): void {
    for (const m of messages) this.s.insert.run(m.messageId, m.userKey, m.code, m.message === undefined ? null : JSON.stringify(m.message), at);
    this.s.prune.run(KEEP);
  }

  async list(limit: number): Promise<{ total: number; byCode: Readonly<Record<string, number>>; items: DroppedRecord[] }> {
    const counts = this.db.prepare<[], { code: string; n: number }>('SELECT code, COUNT(*) AS n FROM dropped GROUP BY code ORDER BY code').all();
    const rows = this.db.prepare<[number], Row>('SELECT id, message_id, user_key, code, payload, at FROM dropped ORDER BY id DESC LIMIT ?').all(limit);
    return { total: counts.reduce((n, c) => n + c.n, 0), byCode: Object.fromEntries(counts.map((c) => [c.code, c.n])), items: rows.map(toRecord) };
  }

  async show(id: number): Promise<DroppedRecord | undefined> {
    const row = this.db.prepare<[number], Row>('SELECT id, message_id, user_key, code, payload, at FROM dropped WHERE id = ?').get(id);
    return row && toRecord(row);
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    return purgeRecords(this.db, 'dropped', ids);
  }
}
