import { isJsonObject } from '../engine/json';
import { IngestSource } from './admit';

/**
 * The one credential a Segment body may carry: `writeKey`, at the top of a body (analytics-node's
 * batches, a single message) and in each message (analytics.js 2.0 puts it in every message it
 * sends). It is checked on arrival and is not data: nothing that keeps a message keeps it.
 */
const CREDENTIAL = 'writeKey';

const holdsCredential = (value: unknown): value is Record<string, unknown> => isJsonObject(value) && Object.prototype.hasOwnProperty.call(value, CREDENTIAL);

/** The value without its write key; the same value when it has none. */
export function withoutCredentials<T>(value: T): T {
  if (!holdsCredential(value)) return value;
  const { [CREDENTIAL]: _credential, ...rest } = value;
  return rest as T;
}

/** The body without a write key anywhere a message or the request may carry one; the same body when there is none. */
function bodyWithoutCredentials(source: IngestSource, body: unknown): unknown {
  if (Array.isArray(body)) return body.some(holdsCredential) ? body.map(withoutCredentials) : body;
  const top = withoutCredentials(body);
  if (source !== 'batch' || !isJsonObject(top) || !Array.isArray(top.batch) || !top.batch.some(holdsCredential)) return top;
  return { ...top, batch: top.batch.map(withoutCredentials) };
}

/**
 * What the inbox stores of an accepted request: the bytes as received when they carry no
 * write key (the common case costs one look at each message), else the parsed body written
 * again without it. Written again, the body admits to the same messages: the expansion
 * parses the stored bytes with the same JSON.parse, and a write key is never mapped.
 */
export function storableBody(source: IngestSource, body: unknown, rawBody: Buffer): Buffer {
  const stored = bodyWithoutCredentials(source, body);
  return stored === body ? rawBody : Buffer.from(JSON.stringify(stored));
}
