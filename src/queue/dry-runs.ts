import Database from 'better-sqlite3';

/** One request a dry-run service built and kept instead of sending it. */
export interface DryRunRecord {
  readonly id: number;
  readonly at: string;
  readonly endpoint: string;
  /** Objects per body array (`attributes: 3`), so a listing need not print the bodies. */
  readonly objects: Readonly<Record<string, number>>;
  readonly body: Record<string, unknown>;
}

interface Row {
  id: number;
  endpoint: string;
  body: string;
  at: number;
}

function toRecord(row: Row): DryRunRecord {
  const body = JSON.parse(row.body) as Record<string, unknown>;
  // fromEntries defines own members, whatever the stored keys are called.
  const objects = Object.fromEntries(Object.entries(body).flatMap(([key, value]) => (Array.isArray(value) ? [[key, value.length]] : [])));
  return { id: row.id, at: new Date(row.at).toISOString(), endpoint: row.endpoint, objects, body };
}

/** Reads and purges the `dry_run` table that the dry-run sender fills, on the service's SQLite file. */
export class DryRuns {
  constructor(private readonly db: Database.Database) {}

  /** The most recent `limit` records, most recent first, and how many are kept. */
  list(limit: number): { total: number; items: DryRunRecord[] } {
    const total = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dry_run').get()!.n;
    const rows = this.db.prepare<[number], Row>('SELECT id, endpoint, body, at FROM dry_run ORDER BY id DESC LIMIT ?').all(limit);
    return { total, items: rows.map(toRecord) };
  }

  show(id: number): DryRunRecord | undefined {
    const row = this.db.prepare<[number], Row>('SELECT id, endpoint, body, at FROM dry_run WHERE id = ?').get(id);
    return row && toRecord(row);
  }

  purge(ids: readonly number[] | 'all'): number {
    if (ids === 'all') return this.db.prepare('DELETE FROM dry_run').run().changes;
    const remove = this.db.prepare('DELETE FROM dry_run WHERE id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + remove.run(id).changes, 0))();
  }
}
