import { isUtf8 } from 'node:buffer';
import { IngestError } from '../ingest/ingest-error';

/** Bytes in a UTF-8 sequence that starts with `lead`; 0 for a byte no sequence starts with. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  return lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/** Where the first byte that is not UTF-8 is (only asked once `isUtf8` said there is one). */
function firstInvalidByte(body: Buffer): number {
  let at = 0;
  while (at < body.length) {
    const length = sequenceLength(body[at]);
    // isUtf8 on the one sequence rules out what the lead byte alone cannot: overlongs, surrogates, past U+10FFFF, a cut end.
    if (length === 0 || !isUtf8(body.subarray(at, at + length))) return at;
    at += length;
  }
  return -1;
}

/**
 * A body that is not UTF-8 is refused, not read leniently: decoding would turn each invalid
 * byte into U+FFFD, so `user-\xff` and `user-\xfe` would become one user in Braze. Checked on
 * the bytes as they are parsed, after any gzip or deflate. Null when the body is UTF-8.
 */
export function utf8Problem(body: Buffer): IngestError | null {
  if (isUtf8(body)) return null;
  return new IngestError(400, 'INVALID_UTF8', `the body is not UTF-8 (byte ${firstInvalidByte(body)} is not part of a valid sequence); send JSON encoded as UTF-8`);
}
