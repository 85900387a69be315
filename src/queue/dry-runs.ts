import Database from 'better-sqlite3';
import { purgeRecords } from './sqlite-purge';
import { BrazeRequest } from '../engine';
import { DryRunRecord, DryRunSink } from './ports/dry-run-sink.port';
import { dryRunRecordOf } from './dry-run-record';

interface Row {
  id: number;
  endpoint: string;
  body: string;
  at: number;
}

const KEEP = 10_000;

const toRecord = (row: Row): DryRunRecord => dryRunRecordOf(row.id, row.at, row.endpoint, row.body);

/** The `dry_run` table: what a dry-run service built instead of sending it, the most recent KEEP requests. */
export class SqliteDryRuns implements DryRunSink {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.s = {
      insert: db.prepare('INSERT INTO dry_run (endpoint, body, at) VALUES (?, ?, ?)'),
      prune: db.prepare('DELETE FROM dry_run WHERE id <= (SELECT MAX(id) FROM dry_run) - ?'),
    };
  }

  async record(request: BrazeRequest): Promise<void> {
    // One transaction, one commit (an fsync with SQLITE_SYNCHRONOUS=FULL), not two.
    this.db.transaction(() => {
      this.s.insert.run(request.endpoint, JSON.stringify(request.body), this.now());
      this.s.prune.run(KEEP);
    })();
  }

  async list(limit: number): Promise<{ total: number; items: DryRunRecord[] }> {
    const total = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dry_run').get()!.n;
    const rows = this.db.prepare<[number], Row>('SELECT id, endpoint, body, at FROM dry_run ORDER BY id DESC LIMIT ?').all(limit);
    return { total, items: rows.map(toRecord) };
  }

  async show(id: number): Promise<DryRunRecord | undefined> {
    const row = this.db.prepare<[number], Row>('SELECT id, endpoint, body, at FROM dry_run WHERE id = ?').get(id);
    return row && toRecord(row);
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    return purgeRecords(this.db, 'dry_run', ids);
  }
}
