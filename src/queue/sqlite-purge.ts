import Database from 'better-sqlite3';

/** The record tables an operator may purge by id: named here, never taken from input. */
export type PurgeableTable = 'dead_letters' | 'dry_run' | 'dropped';

/** Deletes the given records (or all of them) in one transaction; how many went. */
export function purgeRecords(db: Database.Database, table: PurgeableTable, ids: readonly number[] | 'all'): number {
  if (ids === 'all') return db.prepare(`DELETE FROM ${table}`).run().changes;
  const remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  return db.transaction(() => ids.reduce((n, id) => n + remove.run(id).changes, 0))();
}
