import { makeGetter, readSegments } from '../../path';
import { FindingSink } from '../../diagnostics';
import { LogicFn, Operator } from '../operator';

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** `var` reads own properties only, so a condition can never reach a prototype. */
function compileVar(path: unknown, pointer: string, sink: FindingSink): ((data: unknown) => unknown) | null {
  if (path === undefined || path === null || path === '') return (data) => data;
  if (typeof path !== 'string' && typeof path !== 'number') {
    sink.error('INVALID_CONDITION', pointer, '"var" takes a literal path (a string or a number)');
    return null;
  }
  const segments = String(path).split('.');
  if (segments.some((s) => s === '' || FORBIDDEN.has(s))) {
    sink.error('MALFORMED_PATH', pointer, `"${path}" is not a usable path`);
    return null;
  }
  return makeGetter(segments);
}

export const varOperator: Operator = {
  name: 'var',
  minArgs: 0,
  maxArgs: 2,
  compile: ({ args, raw, argPointer, sink }) => {
    const get = compileVar(raw[0], argPointer(0), sink) ?? (() => undefined);
    const fallback: LogicFn = args[1] ?? (() => null);
    return (data) => {
      const value = get(data);
      return value === undefined ? fallback(data) : value;
    };
  },
};

function missingKeys(keys: unknown[], data: unknown): unknown[] {
  const missing: unknown[] = [];
  for (const key of keys) {
    const value = key === null || key === '' ? data : readSegments(data, String(key).split('.'));
    if (value === undefined || value === null || value === '') missing.push(key);
  }
  return missing;
}

export const missingOperator: Operator = {
  name: 'missing',
  minArgs: 0,
  maxArgs: Number.POSITIVE_INFINITY,
  compile: ({ args }) => (data) => {
    const values = args.map((f) => f(data));
    return missingKeys(Array.isArray(values[0]) ? values[0] : values, data);
  },
};

export const missingSomeOperator: Operator = {
  name: 'missing_some',
  minArgs: 2,
  maxArgs: 2,
  compile: ({ args: [needFn, keysFn] }) => (data) => {
    const need = needFn(data) as number;
    const keys = keysFn(data);
    const list = Array.isArray(keys) ? keys : [keys];
    const missing = missingKeys(list, data);
    return list.length - missing.length >= need ? [] : missing;
  },
};
