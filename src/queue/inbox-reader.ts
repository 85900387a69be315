import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InboxEntry } from './ports/request-inbox.port';
import { readRecord, recordAfter } from './inbox-record';

/** A place in the inbox: where the next record to expand starts, or where completed writes end. */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

/** Damage no crash of this process leaves: the records from there on are kept, never skipped. */
export class InboxDamagedError extends Error {
  constructor(file: string, offset: number, what: string) {
    super(`the inbox is damaged: ${file} ${what} at byte ${offset}; its records from there on are kept, not skipped. Move the file aside to go on without them`);
    this.name = 'InboxDamagedError';
  }
}

export const segmentName = (segment: number) => `${String(segment).padStart(10, '0')}.log`;

export function segmentsIn(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d{10}\.log$/.test(f))
    .map((f) => Number(f.slice(0, 10)))
    .sort((a, b) => a - b);
}

/**
 * The expansion's half of the inbox: reads records in order, never past `writeEnd` (the end
 * of the writes that have completed, which is all that has been acknowledged), and deletes
 * the segments it has read wholly. It holds no writer state, so it can run on another
 * thread than the log's writer, told the write end by message.
 */
export class InboxReader {
  private at: LogPosition;
  private readFd: { segment: number; fd: number } | null = null;

  constructor(
    private readonly dir: string,
    start: LogPosition,
    private readonly writeEnd: () => LogPosition,
  ) {
    this.at = start;
  }

  get position(): LogPosition {
    return this.at;
  }

  /** The next requests to expand (at least one, about `maxMessages` messages), and where the log goes on after them. */
  next(maxMessages: number): { entries: InboxEntry[]; end: LogPosition } {
    const entries: InboxEntry[] = [];
    let at = this.at;
    let messages = 0;
    while (entries.length === 0 || messages < maxMessages) {
      const record = this.recordAt(at, false);
      if (typeof record === 'string') break; // 'end': only an opening log sees a torn tail
      entries.push(record.entry);
      messages += record.entry.messages;
      at = record.next;
    }
    return { entries, end: at };
  }

  /** After the work made from `next`'s entries has committed: reads on from `end`, and drops segments wholly read. */
  advance(end: LogPosition): void {
    this.at = end;
    if (this.readFd && this.readFd.segment < end.segment) {
      closeSync(this.readFd.fd);
      this.readFd = null;
    }
    for (const s of segmentsIn(this.dir)) if (s < end.segment) rmSync(join(this.dir, segmentName(s)), { force: true });
  }

  /**
   * Where reading goes on once every record of older segments has been committed: the start
   * of the first segment after them, or null while the read position is in the segment
   * being written (or records wait). The expansion commits it, then `advance` deletes them.
   */
  readSegmentsEnd(): LogPosition | null {
    const writeEnd = this.writeEnd();
    let at = this.at;
    while (at.segment < writeEnd.segment) {
      const fd = this.fdFor(at.segment);
      if (fd === null || readRecord(fd, at.offset, Number.POSITIVE_INFINITY) !== 'end') break;
      at = { segment: at.segment + 1, offset: 0 };
    }
    return at.segment === this.at.segment ? null : at;
  }

  /**
   * The record at `at`, moving on to the next segment at the end of an older one. Only the
   * tail of the segment being written may be torn, and only when opening (a crash cut its
   * write short, or a power loss left zeros or garbage past the last record); anything else,
   * an unreadable record with a whole record after it above all, is damage, thrown rather
   * than skipped.
   */
  recordAt(at: LogPosition, opening: boolean): { entry: InboxEntry; next: LogPosition } | 'end' | 'torn' {
    const writeEnd = this.writeEnd();
    const older = at.segment < writeEnd.segment;
    const fd = this.fdFor(at.segment);
    if (fd === null) {
      if (older) throw new InboxDamagedError(segmentName(at.segment), at.offset, 'is missing');
      return 'end';
    }
    // In the segment being written, only what completed writes put there (a write may be in flight).
    const record = readRecord(fd, at.offset, older ? Number.POSITIVE_INFINITY : writeEnd.offset);
    if (record === 'end') return older ? this.recordAt({ segment: at.segment + 1, offset: 0 }, opening) : 'end';
    // At the end of the log, unreadable bytes with no record after them (zeros, garbage, a record cut short) are a torn tail: what a crash or a power loss leaves of appends never acknowledged.
    if (typeof record === 'string' && opening && !older && !recordAfter(fd, at.offset, writeEnd.offset)) return 'torn';
    if (typeof record === 'string') throw new InboxDamagedError(segmentName(at.segment), at.offset, record === 'torn' ? 'holds a record cut short' : 'holds no record');
    return { entry: record.entry, next: { segment: at.segment, offset: at.offset + record.length } };
  }

  close(): void {
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = null;
  }

  /** A descriptor to read `segment` with (the write descriptor is append-only); null only when the file does not exist. */
  private fdFor(segment: number): number | null {
    if (this.readFd?.segment === segment) return this.readFd.fd;
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = null;
    try {
      this.readFd = { segment, fd: openSync(join(this.dir, segmentName(segment)), 'r') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return this.readFd.fd;
  }
}
