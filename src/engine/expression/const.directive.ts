import { SourceDirective } from './directive';

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

export const constDirective: SourceDirective = {
  key: 'const',
  description: 'A constant JSON value.',
  compile(raw) {
    const value = deepFreeze(structuredClone(raw));
    return { fn: () => value, emit: (e, out) => `${out} = ${e.constant(value)};\n`, describe: JSON.stringify(value) };
  },
};
