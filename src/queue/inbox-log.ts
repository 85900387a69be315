import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncate, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync, write, writev } from 'node:fs';
import { join } from 'node:path';
import { AcceptedRequest } from './delivery-queue.port';
import { InboxEntry } from './inbox';
import { encodeRecord, readRecord } from './inbox-record';

/** Where the next record to expand starts. Committed with the work made from what precedes it. */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

const SEGMENT_BYTES = 64 * 1024 * 1024;

const segmentName = (segment: number) => `${String(segment).padStart(10, '0')}.log`;

/**
 * The request path's half of the durable queue: accepted requests appended, body as
 * received, to segment files in DATA_DIR/inbox. One append per group of requests is what
 * makes a 200 cheap: a 45 KB body costs ~13 µs here against ~150 µs as an SQLite blob,
 * which is written to the WAL, checkpointed, read back and freed. The per-object work rows
 * are made later, in SQLite transactions that also record how far the log has been read
 * (`LogPosition`), so a crash at any point neither loses nor repeats a request. Appends
 * survive the process being killed; with `sync` they are fdatasync'ed before anyone is
 * answered, and so survive power loss as well.
 */
export class InboxLog {
  private fd: number;
  private writeSegment: number;
  private writeOffset: number;
  private read: LogPosition;
  private readFd: { segment: number; fd: number } | null = null;
  private waiting: { record: Buffer[]; messages: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private pendingRequests = 0;
  private pendingMessages = 0;
  /** Called after accepted requests have been appended. */
  onAccepted: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    start: LogPosition,
    private readonly sync: boolean,
    private readonly segmentBytes = SEGMENT_BYTES,
  ) {
    mkdirSync(dir, { recursive: true });
    this.read = start;
    const segments = this.segments();
    for (const s of segments) if (s < start.segment) rmSync(join(dir, segmentName(s)), { force: true });
    this.writeSegment = Math.max(start.segment, ...segments);
    this.fd = openSync(join(dir, segmentName(this.writeSegment)), 'a');
    this.writeOffset = fstatSync(this.fd).size;
    this.recover();
  }

  private segments(): number[] {
    return readdirSync(this.dir)
      .filter((f) => /^\d{10}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 10)))
      .sort((a, b) => a - b);
  }

  /** Counts what waits to be expanded; cuts a record torn by a crash off the end of the last segment (it was never acknowledged). */
  private recover(): void {
    let at: LogPosition = this.read;
    for (;;) {
      const record = this.recordAt(at);
      if (record === 'end') break;
      if (record === 'torn') {
        if (at.segment === this.writeSegment) {
          ftruncateSync(this.fd, at.offset);
          this.writeOffset = at.offset;
        }
        break;
      }
      this.pendingRequests++;
      this.pendingMessages += record.entry.messages;
      at = record.next;
    }
  }

  accept(request: AcceptedRequest): Promise<void> {
    const record = encodeRecord(request);
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, messages: request.messages, resolve, reject });
      if (!this.writing && this.waiting.length === 1) setImmediate(() => this.appendWaiting());
    });
  }

  /**
   * Group commit: whatever waits goes out in one write (and one fdatasync) on libuv's thread
   * pool, so the event loop serves other requests meanwhile; those wait for the next write.
   * One write at a time keeps the records in order.
   */
  private appendWaiting(): void {
    if (this.writing || this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    this.writing = true;
    // The records' parts as they are (the body is the request's own buffer): no copy into one block.
    const parts = group.flatMap((g) => g.record);
    let length = 0;
    for (const part of parts) length += part.length;
    const done = (error: unknown) => {
      this.writing = false;
      if (error) {
        // A short write leaves a torn tail: cut it, so the next append starts clean.
        ftruncate(this.fd, this.writeOffset, () => {
          group.forEach((g) => g.reject(error));
          this.appendWaiting();
        });
        return;
      }
      this.writeOffset += length;
      this.pendingRequests += group.length;
      for (const g of group) this.pendingMessages += g.messages;
      group.forEach((g) => g.resolve());
      if (this.writeOffset >= this.segmentBytes) this.rotate();
      this.onAccepted?.();
      this.appendWaiting();
    };
    const written = (error: unknown) => (error || !this.sync ? done(error) : fdatasync(this.fd, done));
    // Appended without a position: on an O_APPEND descriptor the kernel puts it at the end.
    writev(this.fd, parts, (error, count) => {
      if (error || count === length) return written(error);
      // A short write (rare for files): the rest, from where it stopped.
      const rest = Buffer.concat(parts).subarray(count);
      const writeFrom = (at: number) =>
        write(this.fd, rest, at, rest.length - at, null, (failure, more) => (failure || at + more === rest.length ? written(failure) : writeFrom(at + more)));
      writeFrom(0);
    });
  }

  private rotate(): void {
    closeSync(this.fd);
    this.writeSegment++;
    this.fd = openSync(join(this.dir, segmentName(this.writeSegment)), 'a');
    this.writeOffset = 0;
    if (this.sync) {
      const dirFd = openSync(this.dir, 'r');
      fdatasyncSync(dirFd);
      closeSync(dirFd);
    }
  }

  /** The next requests to expand (at least one, about `maxMessages` messages), and where the log goes on after them. */
  next(maxMessages: number): { entries: InboxEntry[]; end: LogPosition } {
    const entries: InboxEntry[] = [];
    let at = this.read;
    let messages = 0;
    while (entries.length === 0 || messages < maxMessages) {
      const record = this.recordAt(at);
      if (record === 'end' || record === 'torn') break;
      entries.push(record.entry);
      messages += record.entry.messages;
      at = record.next;
    }
    return { entries, end: at };
  }

  /** After the work made from `next`'s entries has committed: reads on from `end`, and drops segments wholly read. */
  advance(end: LogPosition, requests: number, messages: number): void {
    this.read = end;
    this.pendingRequests -= requests;
    this.pendingMessages -= messages;
    if (this.readFd && this.readFd.segment < end.segment) {
      closeSync(this.readFd.fd);
      this.readFd = null;
    }
    for (const s of this.segments()) if (s < end.segment) rmSync(join(this.dir, segmentName(s)), { force: true });
  }

  pending(): { requests: number; messages: number } {
    return { requests: this.pendingRequests, messages: this.pendingMessages };
  }

  /** Resolves once every accepted request has been written (or refused): before closing. */
  async flush(): Promise<void> {
    while (this.writing || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  close(): void {
    if (this.readFd) closeSync(this.readFd.fd);
    closeSync(this.fd);
  }

  private recordAt(at: LogPosition): { entry: InboxEntry; next: LogPosition } | 'end' | 'torn' {
    const fd = this.fdFor(at.segment);
    // In the segment being written, only what completed writes put there (a write may be in flight).
    const record = fd === null ? 'end' : readRecord(fd, at.offset, at.segment === this.writeSegment ? this.writeOffset : Number.POSITIVE_INFINITY);
    // Past the end of an older segment (or a torn tail there, which rotation never leaves): the next one.
    if (typeof record === 'string') return at.segment < this.writeSegment ? this.recordAt({ segment: at.segment + 1, offset: 0 }) : record;
    return { entry: record.entry, next: { segment: at.segment, offset: at.offset + record.length } };
  }

  /** A descriptor to read `segment` with (the write descriptor is append-only). */
  private fdFor(segment: number): number | null {
    if (this.readFd?.segment === segment) return this.readFd.fd;
    if (this.readFd) closeSync(this.readFd.fd);
    this.readFd = null;
    try {
      this.readFd = { segment, fd: openSync(join(this.dir, segmentName(segment)), 'r') };
    } catch {
      return null;
    }
    return this.readFd.fd;
  }
}
