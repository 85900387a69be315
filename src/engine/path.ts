/**
 * Source paths: `traits.address.city`, `properties.products[0].price`, `$item.sku`.
 * Parsed once at compile time into a getter; the getter never splits strings.
 */
export type Scope = 'message' | 'item';
export type Getter = (root: unknown) => unknown;

export interface CompiledPath {
  readonly text: string;
  readonly scope: Scope;
  readonly segments: readonly string[];
  readonly get: Getter;
}

export type PathParse = { ok: true; scope: Scope; segments: string[] } | { ok: false; reason: string };

const ITEM_PREFIX = '$item';
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

export function parsePath(text: string): PathParse {
  if (text.length === 0) return { ok: false, reason: 'a path must not be empty' };
  if (text.trim() !== text) return { ok: false, reason: 'a path must not start or end with white space' };
  let rest = text;
  let scope: Scope = 'message';
  if (rest === ITEM_PREFIX || rest.startsWith(ITEM_PREFIX + '.') || rest.startsWith(ITEM_PREFIX + '[')) {
    scope = 'item';
    rest = rest.slice(ITEM_PREFIX.length).replace(/^\./, '');
  } else if (rest.startsWith('$')) {
    return { ok: false, reason: `unknown scope "${rest.split(/[.[]/)[0]}" (only $item is defined)` };
  }
  const segments: string[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectSegment = true;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < rest.length && (match = re.exec(rest)) !== null) {
    consumed = re.lastIndex;
    if (match[3] !== undefined) {
      if (expectSegment) return { ok: false, reason: `empty segment at character ${consumed}` };
      expectSegment = true;
    } else {
      const segment = match[1] ?? match[2];
      if (!expectSegment && match[1] !== undefined) return { ok: false, reason: `missing "." before "${segment}"` };
      if (FORBIDDEN_SEGMENTS.has(segment)) return { ok: false, reason: `the segment "${segment}" is not allowed` };
      segments.push(segment);
      expectSegment = false;
    }
  }
  if (consumed < rest.length) return { ok: false, reason: `unexpected "${rest[consumed]}" at character ${consumed + 1}` };
  if (expectSegment && (segments.length > 0 || scope === 'message')) {
    return { ok: false, reason: segments.length === 0 ? 'a path needs at least one segment' : 'a path must not end with "."' };
  }
  return { ok: true, scope, segments };
}

/*
 * Messages are JSON, and JSON holds no functions, so a function found on the way down came
 * from a prototype (`toString`, `hasOwnProperty`, …) and counts as absent. This keeps
 * prototypes unreachable without an own-property lookup on every step.
 */
/**
 * Builds a getter for one path. Each getter is a small generated function with the segments
 * written in as string literals, so V8 gives every path its own inline caches (a shared
 * `step(value, key)` makes every property read megamorphic). Only JSON-escaped segment names
 * enter the generated text, never user code, and it is generated once, at compile time.
 */
export function makeGetter(segments: readonly string[]): Getter {
  if (segments.length === 0) return (root) => root;
  let body = 'let v = root;\n';
  for (const segment of segments) {
    body += `if (v === null || typeof v !== 'object') return undefined;\nv = v[${JSON.stringify(segment)}];\nif (typeof v === 'function') return undefined;\n`;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: generated from validated segments only
  return new Function('root', body + 'return v;') as Getter;
}

/**
 * Reads a path known only at run time (json-logic `missing`, whose keys may come from the
 * message): a loop, never generated code, and own members only, so that a key such as
 * `traits.constructor` is missing unless the message has it.
 */
export function readSegments(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
    if (typeof value === 'function') return undefined;
  }
  return value;
}

export function compilePath(text: string): CompiledPath | { error: string } {
  const parsed = parsePath(text);
  if (!parsed.ok) return { error: parsed.reason };
  return Object.freeze({ text, scope: parsed.scope, segments: Object.freeze(parsed.segments), get: makeGetter(parsed.segments) });
}
