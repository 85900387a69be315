import { closeSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoreFullError } from './ports/request-inbox.port';

/** What DATA_DIR keeps free for the store, in bytes (DATA_DIR_MIN_FREE_MB, DATA_DIR_RESERVE_MB). */
export interface DiskLimits {
  /** Under this much free space new requests are refused, so that the expansion and delivery keep room to write. */
  readonly minFreeBytes: number;
  /** The size of the reserve file, the store's last headroom: given back when SQLite finds the disk full anyway. */
  readonly reserveBytes: number;
}

/** A store opened without the service's settings (tests, tools): DATA_DIR_MIN_FREE_MB's default, and no reserve file. */
export const DEFAULT_DISK_LIMITS: DiskLimits = Object.freeze({ minFreeBytes: 64 * 2 ** 20, reserveBytes: 0 });

/** The reserve: a file of zeros whose blocks are DATA_DIR's; deleting it hands them to SQLite. */
export const RESERVE_FILE = 'disk-reserve';

/** statfs is a few µs, but the request path asks once per group of appends: measured again at most this often, or sooner when the estimate runs low. */
const MEASURE_EVERY_MS = 100;
const MB = 2 ** 20;
/** SQLite bytes per inbox byte once expanded, measured at 2–2.5 on the default mapping (index pages and the WAL included), with room to spare. */
const EXPANSION_GROWTH = 3;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** SQLite's or the kernel's way of saying the disk is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * DATA_DIR's free space, as the store spends it. The request path is the only writer whose
 * growth nothing else frees, so it is the one refused (`DATA_DIR_MIN_FREE_MB` before the disk
 * is full); the expansion holds back under half of that, and delivery, which frees space by
 * deleting what it delivered, is never refused: it has the other half and the reserve file.
 */
export class DiskSpace {
  private measured = Number.POSITIVE_INFINITY;
  private measuredAt = Number.NEGATIVE_INFINITY;
  /** What the request path appended since the last measure: subtracted, so a burst cannot run past the minimum between two measures. */
  private appendedSince = 0;

  constructor(
    private readonly dataDir: string,
    readonly limits: DiskLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Free bytes on DATA_DIR's volume for an unprivileged writer (df's "Avail"), measured now. */
  measure(): number {
    try {
      const s = statfsSync(this.dataDir);
      this.measured = s.bavail * s.bsize;
    } catch {
      this.measured = Number.POSITIVE_INFINITY; // a file system without statfs: nothing to say
    }
    this.measuredAt = this.now();
    this.appendedSince = 0;
    return this.measured;
  }

  /** The last measure, less what was appended since; measured again when due or when it looks low. */
  freeBytes(): number {
    const estimate = this.measured - this.appendedSince;
    if (this.now() - this.measuredAt >= MEASURE_EVERY_MS || estimate < this.limits.minFreeBytes) return this.measure();
    return estimate;
  }

  appended(bytes: number): void {
    this.appendedSince += bytes;
  }

  /**
   * Why a new request is refused now, or null: free space under the minimum, once the room
   * the expansion will take for the inbox's `unexpandedBytes` is set aside (its rows hold each
   * message twice, as the object and as the original, so about EXPANSION_GROWTH times the
   * bytes; the inbox's own space comes back only once a segment is wholly expanded).
   */
  refusal(unexpandedBytes = 0): StoreFullError | null {
    const free = this.freeBytes() - EXPANSION_GROWTH * unexpandedBytes;
    if (free >= this.limits.minFreeBytes) return null;
    return new StoreFullError('DISK_FULL', `disk full: DATA_DIR ${this.dataDir} has ${mb(free)} free, under DATA_DIR_MIN_FREE_MB (${mb(this.limits.minFreeBytes)}): new requests are refused until delivery frees space`);
  }

  /** For the expansion: refused under half the minimum, counting the free pages SQLite already holds (its writes go there first). */
  expansionRefusal(sqliteFreeBytes: number): StoreFullError | null {
    const free = this.measure() + sqliteFreeBytes;
    if (free >= this.limits.minFreeBytes / 2) return null;
    return new StoreFullError('DISK_FULL', `disk full: DATA_DIR ${this.dataDir} has ${mb(free)} free for the store, under half DATA_DIR_MIN_FREE_MB: the expansion waits, leaving the rest to delivery`);
  }

  private get reservePath(): string {
    return join(this.dataDir, RESERVE_FILE);
  }

  hasReserve(): boolean {
    try {
      return statSync(this.reservePath).size >= this.limits.reserveBytes;
    } catch {
      return false;
    }
  }

  /** Writes the reserve file when it is missing and the disk has room for it beside the minimum. Answers whether it is in place. */
  keepReserve(): boolean {
    if (this.limits.reserveBytes === 0 || this.hasReserve()) return true;
    if (this.measure() < this.limits.minFreeBytes + this.limits.reserveBytes) return false;
    // Written, not sized with truncate: a sparse file would hold no blocks to give back.
    const chunk = Buffer.alloc(Math.min(MB, this.limits.reserveBytes));
    const fd = openSync(this.reservePath, 'w');
    try {
      for (let left = this.limits.reserveBytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    } catch (error) {
      closeSync(fd);
      rmSync(this.reservePath, { force: true });
      if (isDiskFull(error)) return false;
      throw error;
    }
    closeSync(fd);
    this.measure();
    return true;
  }

  /** Gives the reserve's blocks back to the volume; answers whether there was one to give. */
  releaseReserve(): boolean {
    const had = this.hasReserve();
    rmSync(this.reservePath, { force: true });
    if (had) this.measure();
    return had;
  }
}
