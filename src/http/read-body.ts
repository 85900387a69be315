import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

export class BodyTooLargeError extends Error {}

/** The whole body did not arrive within its deadline (a client that sends slowly, or not at all). */
export class BodyTimeoutError extends Error {}

export interface BodyLimits {
  /** Bytes after decompression. */
  readonly maxBytes: number;
  /** For the whole body, counted from the call: a total, not a gap between chunks, so a body sent a byte at a time is cut too. */
  readonly deadlineMs: number;
}

/**
 * The request body as bytes, decompressed when it is sent gzip'ed or deflated (Segment's
 * API accepts both), at most `maxBytes` after decompression and within `deadlineMs`. Read
 * straight from the stream: for 45 KB bodies body-parser's per-request machinery showed in
 * the profile. Refused or cut, the inflater is destroyed at once (a gzip bomb inflates no
 * further) and the timer is cleared on every way out, so nothing outlives the request.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { maxBytes } = limits;
    const declared = Number(req.headers['content-length']);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const inflater: Transform | null = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : null;
    if (!inflater && encoding !== 'identity') return drainThen(req, () => reject(new Error(`unsupported content encoding "${encoding.slice(0, 20)}"`)));
    if (encoding === 'identity' && declared > maxBytes) return drainThen(req, () => reject(new BodyTooLargeError()));
    const source: Readable = inflater ? req.pipe(inflater) : req;
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const deadline = setTimeout(() => fail(new BodyTimeoutError()), limits.deadlineMs);
    const settle = () => {
      settled = true;
      clearTimeout(deadline);
      chunks.length = 0;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settle();
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      drainThen(req, () => reject(error));
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) return fail(new BodyTooLargeError());
      chunks.push(chunk);
    });
    source.on('error', (error: Error) => fail(error));
    // The inflater does not hear of a client that went away; the request does.
    if (inflater) req.on('error', (error: Error) => fail(error));
    req.on('close', () => {
      if (!req.complete) fail(new Error('the client closed the connection before the body was sent'));
    });
    source.on('end', () => {
      if (settled) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
      settle();
      resolve(body);
    });
  });
}

/**
 * Lets the rest of a refused body flow to nowhere, so the answer reaches a client that is
 * still sending; the answer closes the connection (http-error.filter.ts), which ends that.
 */
function drainThen(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded) return then();
  req.resume();
  then();
}
