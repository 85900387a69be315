import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isDiskFull } from './disk-space';

/** The file whose lock says which process owns a DATA_DIR. Nothing else in the process may open it (see takeLock). */
export const LOCK_FILE = 'owner.lock';

/**
 * The pid file versions before the kernel lock took and checked. The owner writes it too,
 * while it holds the lock, so that an older version started on the same DATA_DIR (a rolling
 * upgrade, a second compose project) sees a live owner and refuses; this version never reads it.
 */
export const LEGACY_PID_FILE = 'segment-braze.lock';

export class StoreLockedError extends Error {
  constructor(dataDir: string) {
    super(`another segment-braze process owns ${dataDir} (it holds ${join(dataDir, LOCK_FILE)}): two services on one DATA_DIR would re-send each other's in-flight work; stop it, or give this service a DATA_DIR of its own`);
    this.name = 'StoreLockedError';
  }
}

/** Held here too: a collected connection is closed, and its lock with it. */
const held = new Set<Database.Database>();

export interface StoreLock {
  release(): void;
}

/**
 * One service per DATA_DIR. The owner holds a write transaction open on a small SQLite file
 * for its whole life: SQLite takes it as an fcntl lock on one byte (RESERVED), which the
 * kernel grants to one process at a time, atomically, and drops when the process ends,
 * however it ends and whatever its pid was, so a killed owner (even a zombie not yet reaped)
 * never blocks its restart. Nothing is written: the file stays empty.
 *
 * Only RESERVED, not EXCLUSIVE: contenders take SHARED on the way and would make the one
 * going on to EXCLUSIVE fail too (with 20 at once, often every one of them). A killed owner's
 * lock goes when its last thread has ended, a moment after the kill: a restart waits up to
 * `waitMs` for it, and a second service is refused after that. A second open in this process
 * is refused as well (SQLite tracks its own connections' locks per file). POSIX drops a
 * process's fcntl locks on a file when any of its descriptors for that file is closed, so
 * only this connection may ever open LOCK_FILE.
 */
export function takeLock(dataDir: string, waitMs = 1000): StoreLock {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: waitMs });
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new StoreLockedError(dataDir);
    throw error;
  }
  held.add(db);
  const pidFile = join(dataDir, LEGACY_PID_FILE);
  try {
    writeFileSync(pidFile, String(process.pid));
  } catch (error) {
    // On a full disk the start goes on without it: only older versions read it, and delivering is what frees space.
    if (!isDiskFull(error)) {
      held.delete(db);
      db.close();
      throw error;
    }
  }
  return {
    release: () => {
      rmSync(pidFile, { force: true });
      held.delete(db);
      db.close();
    },
  };
}
