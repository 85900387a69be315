import Database from 'better-sqlite3';
import { AcceptedAttributes, AttributeMemory, RememberedAttribute } from './ports/attribute-memory.port';

/** In the store's own file; written only after Braze accepted, read once per round. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS attribute_memory (
  user TEXT NOT NULL,
  attribute TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  event_time INTEGER,
  written_at INTEGER NOT NULL,
  PRIMARY KEY (user, attribute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attribute_memory_written ON attribute_memory (written_at);
`;

/** Expired entries are deleted this many at a time, at most once a minute, on a remember: short transactions. */
const SWEEP_BATCH = 5000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The embedded store's memory of what Braze accepted: one row per user and attribute. The
 * later event time wins (`event_time` NULL is "unknown" and never keeps a newer write out);
 * a row written more than `ttlMs` ago is recalled as absent and swept in batches.
 */
export class SqliteAttributeMemory implements AttributeMemory {
  private readonly statements;
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {
    db.exec(SCHEMA);
    this.statements = {
      recall: db.prepare<[string, number], { attribute: string; fingerprint: string; event_time: number | null }>(
        'SELECT attribute, fingerprint, event_time FROM attribute_memory WHERE user = ? AND written_at > ?',
      ),
      // A remembered later event time keeps its row; NULL on either side replaces.
      put: db.prepare(`INSERT INTO attribute_memory (user, attribute, fingerprint, event_time, written_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (user, attribute) DO UPDATE SET fingerprint = excluded.fingerprint, event_time = excluded.event_time, written_at = excluded.written_at
        WHERE attribute_memory.event_time IS NULL OR excluded.event_time IS NULL OR attribute_memory.event_time <= excluded.event_time`),
      forget: db.prepare('DELETE FROM attribute_memory WHERE user = ?'),
      forgetAll: db.prepare('DELETE FROM attribute_memory'),
      users: db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT user) AS n FROM attribute_memory'),
      sweep: db.prepare(`DELETE FROM attribute_memory WHERE (user, attribute) IN
        (SELECT user, attribute FROM attribute_memory WHERE written_at <= ? LIMIT ${SWEEP_BATCH})`),
    };
  }

  async recall(users: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>>> {
    const oldest = this.now() - this.ttlMs;
    const out = new Map<string, Map<string, RememberedAttribute>>();
    for (const user of new Set(users)) {
      const rows = this.statements.recall.all(user, oldest);
      if (rows.length > 0) out.set(user, new Map(rows.map((r) => [r.attribute, { fingerprint: r.fingerprint, eventTime: r.event_time }])));
    }
    return out;
  }

  async remember(accepted: readonly AcceptedAttributes[]): Promise<void> {
    const now = this.now();
    this.db.transaction(() => {
      for (const { user, attributes } of accepted) {
        for (const [attribute, { fingerprint, eventTime }] of attributes) this.statements.put.run(user, attribute, fingerprint, eventTime, now);
      }
    })();
    if (now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
  }

  async forget(users: readonly string[]): Promise<void> {
    this.db.transaction(() => users.forEach((user) => this.statements.forget.run(user)))();
  }

  async forgetAll(): Promise<number> {
    return this.db.transaction(() => {
      const n = this.statements.users.get()!.n;
      this.statements.forgetAll.run();
      return n;
    })();
  }

  async users(): Promise<number> {
    return this.statements.users.get()!.n;
  }

  /** One batch of expired rows; the next remember a minute on takes the next batch. */
  sweep(now = this.now()): number {
    this.sweptAt = now;
    return this.statements.sweep.run(now - this.ttlMs).changes;
  }
}
