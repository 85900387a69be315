import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncate, ftruncateSync, mkdirSync, openSync, rmSync, statSync, write, writev } from 'node:fs';
import { dirname, join } from 'node:path';
import { DiskSpace, isDiskFull } from './disk-space';
import { AcceptedRequest, StoreFullError } from './ports/request-inbox.port';
import { encodeRecord } from './inbox-record';
import { InboxReader, LogPosition, segmentName, segmentsIn } from './inbox-reader';

export { InboxDamagedError } from './inbox-reader';
export type { LogPosition } from './inbox-reader';

const SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * A segment holding at least this much, all of it expanded, is left for a new one at once
 * rather than at SEGMENT_BYTES, so the expansion can delete it: what waits on disk is then
 * what is not yet expanded, plus at most this much.
 */
const RECLAIM_BYTES = 1024 * 1024;

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  fdatasyncSync(fd);
  closeSync(fd);
}

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
  /** Reads the log at open (what waits, a torn tail); the expansion thread reads with a reader of its own, told `writeEnd()`. */
  readonly reader: InboxReader;
  private waiting: { record: Buffer[]; messages: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private pendingRequests = 0;
  private pendingMessages = 0;
  /** The bytes of the records not yet expanded (an estimate: expansions report requests, so each takes its share of the average). */
  private pendingBytes = 0;
  /** Set when a failed append could not be cut back cleanly: from then on nothing is accepted (503s), so nothing acknowledged can be lost. */
  failure: Error | null = null;
  /** What opening the log found and repaired, for the boot log. */
  readonly notes: string[] = [];
  /** Torn tails opening cut off (0 or 1), for segment_braze_inbox_torn_tails_total. */
  tailsCut = 0;
  /** Called when the write end moves: after accepted requests have been appended, or a read segment was left for a new one. */
  onAccepted: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    start: LogPosition,
    private readonly sync: boolean,
    private readonly segmentBytes = SEGMENT_BYTES,
    /** When set, requests are refused (StoreFullError) while DATA_DIR's free space is under its minimum. */
    private readonly disk: DiskSpace | null = null,
  ) {
    mkdirSync(dir, { recursive: true });
    const segments = segmentsIn(dir);
    for (const s of segments) if (s < start.segment) rmSync(join(dir, segmentName(s)), { force: true });
    this.writeSegment = Math.max(start.segment, ...segments);
    this.fd = openSync(join(dir, segmentName(this.writeSegment)), 'a');
    this.writeOffset = fstatSync(this.fd).size;
    if (sync) [dir, dirname(dir)].forEach(syncDirectory);
    this.reader = new InboxReader(dir, this.checkedStart(start), () => this.writeEnd());
    this.recover();
    this.reclaimIfExpanded();
  }

  /** Where completed appends end: a reader reads up to here and no further. */
  writeEnd(): LogPosition {
    return { segment: this.writeSegment, offset: this.writeOffset };
  }

  /** A position past its segment's end only follows a power loss without `sync`: what the log lost is gone, go on from its end. */
  private checkedStart(start: LogPosition): LogPosition {
    let size = 0;
    try {
      size = statSync(join(this.dir, segmentName(start.segment))).size;
    } catch {
      // a segment never written
    }
    if (start.offset <= size) return start;
    this.notes.push(`the inbox read position (${segmentName(start.segment)} byte ${start.offset}) is past the file's end (${size} bytes): the machine lost what SQLITE_SYNCHRONOUS=NORMAL does not protect; reading on from the end`);
    return { segment: start.segment, offset: size };
  }

  /** Counts what waits to be expanded; cuts a record torn by a crash off the end (it was never acknowledged). */
  private recover(): void {
    let at: LogPosition = this.reader.position;
    for (;;) {
      const record = this.reader.recordAt(at, true);
      if (record === 'end') return;
      if (record === 'torn') {
        const bytes = this.writeOffset - at.offset;
        ftruncateSync(this.fd, at.offset);
        this.notes.push(`cut a torn tail (a record cut short, or zeros or garbage with no record after them: appends never acknowledged) of ${bytes} byte(s) off ${join(this.dir, segmentName(at.segment))} at byte ${at.offset}`);
        this.tailsCut++;
        this.writeOffset = at.offset;
        return;
      }
      this.pendingRequests++;
      this.pendingMessages += record.entry.messages;
      this.pendingBytes += record.next.offset - at.offset;
      at = record.next;
    }
  }

  accept(request: AcceptedRequest): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const full = this.refusal();
    if (full) return Promise.reject(full);
    const record = encodeRecord(request);
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, messages: request.messages, resolve, reject });
      if (!this.writing && this.waiting.length === 1) setImmediate(() => this.appendWaiting());
    });
  }

  /**
   * Group commit: whatever waits goes out in one write (and one fdatasync) on libuv's thread
   * pool, so the event loop serves other requests meanwhile; those wait for the next write.
   * One write (or repair) at a time keeps the records in order.
   */
  private appendWaiting(): void {
    if (this.writing || this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    if (this.failure) return group.forEach((g) => g.reject(this.failure));
    this.writing = true;
    // The records' parts as they are (the body is the request's own buffer): no copy into one block.
    const parts = group.flatMap((g) => g.record);
    let length = 0;
    for (const part of parts) length += part.length;
    const done = (error: unknown) => {
      if (error) {
        const refusal = isDiskFull(error) ? new StoreFullError('DISK_FULL', `disk full: the inbox append failed (${(error as Error).message})`) : error;
        return this.cutBack(error, () => group.forEach((g) => g.reject(refusal)));
      }
      this.writing = false;
      this.disk?.appended(length);
      this.writeOffset += length;
      this.pendingRequests += group.length;
      this.pendingBytes += length;
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

  /** After a failed append: cut what it left off the end before anything else is written; if that fails, stop accepting. */
  private cutBack(cause: unknown, then: () => void): void {
    ftruncate(this.fd, this.writeOffset, (error) => {
      let size = -1;
      try {
        size = fstatSync(this.fd).size;
      } catch {
        // reported below as a size that does not match
      }
      if (error || size !== this.writeOffset) {
        const why = error ? error.message : `the file is ${size} bytes, ${this.writeOffset} expected`;
        this.failure = new Error(`the inbox cannot be written (after ${cause instanceof Error ? cause.message : String(cause)}, cutting the failed append back failed: ${why})`);
      }
      this.writing = false;
      then();
      this.appendWaiting();
    });
  }

  /** The next segment; should it not open, appends go on in this one and the next append tries again. Answers whether it moved on. */
  private rotate(): boolean {
    let next: number;
    try {
      next = openSync(join(this.dir, segmentName(this.writeSegment + 1)), 'a');
      if (this.sync) syncDirectory(this.dir);
    } catch {
      return false;
    }
    closeSync(this.fd);
    this.fd = next;
    this.writeSegment++;
    this.writeOffset = 0;
    return true;
  }

  /** Why a new request would be refused for want of disk space now, or null. */
  refusal(): StoreFullError | null {
    return this.disk?.refusal(this.pendingBytes) ?? null;
  }

  /** Work made from `requests` stored requests (`messages` messages) has committed. */
  expanded(requests: number, messages: number): void {
    this.pendingBytes = this.pendingRequests > requests ? this.pendingBytes * (1 - requests / this.pendingRequests) : 0;
    this.pendingRequests -= requests;
    this.pendingMessages -= messages;
    this.reclaimIfExpanded();
  }

  /** Everything in the segment is expanded: a new one, and the expansion, told the new write end, deletes this one. */
  private reclaimIfExpanded(): void {
    if (this.pendingRequests > 0 || this.writing || this.waiting.length > 0 || this.writeOffset < RECLAIM_BYTES) return;
    if (this.rotate()) this.onAccepted?.();
  }

  pending(): { requests: number; messages: number } {
    return { requests: this.pendingRequests, messages: this.pendingMessages };
  }

  /** Resolves once every accepted request has been written (or refused): before closing. */
  async flush(): Promise<void> {
    while (this.writing || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  close(): void {
    this.reader.close();
    closeSync(this.fd);
  }
}
