import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The write key an `Authorization` header names on its own: the HTTP Basic user name. When
 * there is one, the body is not looked at for another (so a wrong one is wrong whatever the
 * body holds, and can be refused before the body is read); undefined otherwise.
 */
export function headerWriteKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^basic\s+/i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

/** The write key from HTTP Basic (user name, empty password) or from the body's `writeKey`. */
export function writeKeyFrom(authorization: string | undefined, body: unknown): string | undefined {
  const fromHeader = headerWriteKey(authorization);
  if (fromHeader !== undefined) return fromHeader;
  const fromBody = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { writeKey?: unknown }).writeKey : undefined;
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares against every configured key in constant time: hashing first gives equal lengths,
 * and the loop never stops early, so timing tells nothing about which key nearly matched.
 */
export class WriteKeyVerifier {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get open(): boolean {
    return this.digests.length === 0;
  }

  accepts(key: string | undefined): boolean {
    if (this.open) return true;
    const candidate = digest(key ?? '');
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(known, candidate) || match;
    return match && key !== undefined;
  }
}

function sameHex(expectedHex: string, given: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  const actual = Buffer.from(given.trim().toLowerCase(), 'hex');
  return actual.length === expected.length && timingSafeEqual(expected, actual);
}

/** What an `X-Signature` signs: the raw body, only the first message of an array, or nothing it was given. */
export type SignatureCoverage = 'body' | 'first-message' | 'none';

/**
 * Segment's webhook signature: lower-case hex HMAC-SHA1 of the raw body under the shared
 * secret. Some versions sign only the first message of a batch; whether that is enough is
 * the caller's decision (WEBHOOK_SIGNATURE_FIRST_MESSAGE), since it leaves the rest unsigned.
 */
export function signatureCoverage(secret: string, rawBody: Buffer, header: string | undefined, firstMessage?: unknown): SignatureCoverage {
  if (header === undefined || !/^[0-9a-fA-F]{40}$/.test(header.trim())) return 'none';
  if (sameHex(createHmac('sha1', secret).update(rawBody).digest('hex'), header)) return 'body';
  if (firstMessage === undefined) return 'none';
  try {
    return sameHex(createHmac('sha1', secret).update(JSON.stringify(firstMessage)).digest('hex'), header) ? 'first-message' : 'none';
  } catch {
    return 'none'; // a first "message" too deep to serialise was never signed
  }
}
