import { createHash } from 'node:crypto';

/** Characters of the digest kept: 72 bits, so two different values of one attribute of one user collide about never. */
const FINGERPRINT_CHARS = 12;

/**
 * The value as JSON with every object's keys sorted, so `{a, b}` and `{b, a}` read the same.
 * Hand-written rather than a library: the values are JSON already (parsed from the queue),
 * so there are no cycles, dates or `toJSON` to care for. `undefined` inside an object is
 * left out and inside an array is `null`, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A compact fingerprint of a JSON value: equal for deeply equal values whatever their key order, 12 base64url characters of SHA-256. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, FINGERPRINT_CHARS);
}
