import { readSync } from 'node:fs';
import { AcceptedRequest, InboxEntry } from './ports/request-inbox.port';

/** A record: 'SBI1', the header's length, the body's length (big-endian u32s), the header as JSON, the body. */
const MAGIC = 0x53424931;
const PREFIX_BYTES = 12;

type Header = Omit<InboxEntry, 'body'>;

/** The record as two parts, prefix and header, then the body itself, for one vectored write. */
export function encodeRecord(request: AcceptedRequest): Buffer[] {
  const header: Header = { source: request.source, receivedAt: request.receivedAt, idBase: request.idBase, skip: request.skip, messages: request.messages };
  const json = JSON.stringify(header);
  const head = Buffer.allocUnsafe(PREFIX_BYTES + Buffer.byteLength(json));
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(head.length - PREFIX_BYTES, 4);
  head.writeUInt32BE(request.body.length, 8);
  head.write(json, PREFIX_BYTES);
  return [head, request.body];
}

/**
 * The record at `offset` of an open segment, read only up to `limit` (the end of completed
 * writes): 'end' when nothing starts there, 'torn' when a record starts there but ends past
 * the limit (a write cut short), 'corrupt' when what starts there is not a record at all.
 */
export function readRecord(fd: number, offset: number, limit: number): { entry: InboxEntry; length: number } | 'end' | 'torn' | 'corrupt' {
  if (offset >= limit) return 'end';
  const prefix = Buffer.alloc(PREFIX_BYTES);
  const got = readSync(fd, prefix, 0, PREFIX_BYTES, offset);
  if (got === 0) return 'end';
  if (got < PREFIX_BYTES) return 'torn';
  if (prefix.readUInt32BE(0) !== MAGIC) return 'corrupt';
  const headerLength = prefix.readUInt32BE(4);
  const length = PREFIX_BYTES + headerLength + prefix.readUInt32BE(8);
  if (offset + length > limit) return 'torn';
  const payload = Buffer.allocUnsafe(length - PREFIX_BYTES);
  if (readSync(fd, payload, 0, payload.length, offset + PREFIX_BYTES) < payload.length) return 'torn';
  let header: Header;
  try {
    header = JSON.parse(payload.subarray(0, headerLength).toString('utf8')) as Header;
  } catch {
    return 'corrupt';
  }
  return { entry: { ...header, body: payload.subarray(headerLength) }, length };
}

const SCAN_CHUNK = 1024 * 1024;

/**
 * Whether a whole record starts anywhere in (`from`, `limit`): what tells damage in the middle
 * of the log (records follow it) from a torn tail (nothing does). Records are appended in
 * order, so a tail with no record after it holds nothing that was acknowledged later.
 */
export function recordAfter(fd: number, from: number, limit: number): boolean {
  const chunk = Buffer.allocUnsafe(SCAN_CHUNK + 3);
  for (let at = from + 1; at < limit; at += SCAN_CHUNK) {
    const got = readSync(fd, chunk, 0, Math.min(chunk.length, limit - at), at);
    for (let i = chunk.indexOf('SBI1'); i !== -1 && i < got; i = chunk.indexOf('SBI1', i + 1)) {
      if (i + 4 <= got && typeof readRecord(fd, at + i, limit) === 'object') return true;
    }
    if (got === 0) return false;
  }
  return false;
}
