import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

export class BodyTooLargeError extends Error {}

/**
 * The request body as bytes, decompressed when it is sent gzip'ed or deflated (Segment's
 * API accepts both), at most `limit` bytes after decompression. Read straight from the
 * stream: for 45 KB bodies body-parser's per-request machinery showed in the profile.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    const inflater: Transform | null = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : null;
    const source: Readable = inflater ? req.pipe(inflater) : req;
    if (!inflater && encoding !== 'identity') return drainThen(req, () => reject(new Error(`unsupported content encoding "${encoding.slice(0, 20)}"`)));
    if (encoding === 'identity' && declared > limit) return drainThen(req, () => reject(new BodyTooLargeError()));
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      if (inflater) req.unpipe(inflater);
      drainThen(req, () => reject(error));
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > limit) return fail(new BodyTooLargeError());
      chunks.push(chunk);
    });
    source.on('error', (error: Error) => fail(error));
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
    });
  });
}

/** Reads and discards the rest of a refused body, so the answer reaches a client that is still sending. */
function drainThen(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded) return then();
  req.resume();
  then();
}
