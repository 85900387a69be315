import { pointerJoin } from '../diagnostics';
import { isJsonObject } from '../json';

export interface Difference {
  pointer: string;
  expected: unknown;
  actual: unknown;
}

/** The first place where two JSON values differ, depth first, or null when they are equal. */
export function firstDifference(expected: unknown, actual: unknown, pointer = ''): Difference | null {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const d = firstDifference(expected[i], actual[i], pointerJoin(pointer, i));
      if (d) return d;
    }
    return null;
  }
  if (isJsonObject(expected) && isJsonObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const d = firstDifference(own(expected, key), own(actual, key), pointerJoin(pointer, key));
      if (d) return d;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : { pointer, expected, actual };
}

/** A member only if the object has it itself: an expectation's `constructor` key must not meet Object's. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
