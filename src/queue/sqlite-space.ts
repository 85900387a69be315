import Database from 'better-sqlite3';

/**
 * How the SQLite file gives back what delivery deleted. Without auto-vacuum a file keeps its
 * peak size for good (its free pages are reused, never returned), so a volume filled once
 * by a backlog would stay full after the drain. With incremental auto-vacuum the free pages
 * are cut off the file's end a few megabytes at a time.
 */

/** Pages given back per step: 16 MB of 4 KB pages, a few milliseconds when they lie at the file's end (after a drain, most do). */
const VACUUM_STEP_PAGES = 4096;
/** Free pages left in place for the next writes, rather than given back and grown again. */
const KEEP_FREE_PAGES = 256;
/** Above this a store from before auto-vacuum is left as it is: converting rewrites the whole file at boot. */
const CONVERT_UP_TO_BYTES = 256 * 2 ** 20;
/** After a checkpoint the WAL is cut back to this (it otherwise keeps its largest size). */
export const WAL_SIZE_LIMIT_BYTES = 4 * 2 ** 20;

const INCREMENTAL = 2;

/** Before the schema: a new file gets incremental auto-vacuum; an older small one is converted (one VACUUM). Answers a note for the boot log, if any. */
export function useIncrementalVacuum(db: Database.Database, freeDiskBytes: number): string | null {
  if (db.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return null;
  const empty = (db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number }).n === 0;
  db.pragma('auto_vacuum = INCREMENTAL');
  if (empty) return null;
  const size = pageBytes(db, 'page_count');
  if (size > CONVERT_UP_TO_BYTES || freeDiskBytes < 2 * size) {
    return `the store ${db.name} keeps the space it once used (it predates auto-vacuum, and converting its ${Math.round(size / 2 ** 20)} MB needs twice that free and a rewrite at boot): stop the service and run VACUUM on it to let it give space back`;
  }
  db.exec('VACUUM');
  return null;
}

/** Bytes of the file's free pages: room SQLite's next writes take before the file grows. */
export function freePageBytes(db: Database.Database): number {
  return pageBytes(db, 'freelist_count');
}

/**
 * Gives up to a step of free pages back to the volume, keeping a few for the next writes. The
 * file is cut at a checkpoint: a passive one, which waits for no reader, is run at once.
 */
export function vacuumStep(db: Database.Database): void {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free <= KEEP_FREE_PAGES) return;
  db.pragma(`incremental_vacuum(${Math.min(VACUUM_STEP_PAGES, free - KEEP_FREE_PAGES)})`);
  db.pragma('wal_checkpoint(PASSIVE)');
}

function pageBytes(db: Database.Database, count: 'page_count' | 'freelist_count'): number {
  return (db.pragma(count, { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}
