import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class StoreLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`another segment-braze process (pid ${pid}) is using ${dataDir}: two services on one DATA_DIR would re-send each other's in-flight work`);
    this.name = 'StoreLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One service per DATA_DIR: a lock file with the owner's pid, taken over when that pid is gone. */
export function takeLock(dataDir: string): string {
  const path = join(dataDir, 'segment-braze.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) throw new StoreLockedError(dataDir, owner);
      rmSync(path, { force: true }); // left by a process that died (kill -9)
    }
  }
  throw new Error(`cannot take the lock in ${dataDir}`);
}
