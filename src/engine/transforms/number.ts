import { Transform, TRANSFORM_FAILED } from './transform';

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

export function toFiniteNumber(value: unknown): number | typeof TRANSFORM_FAILED {
  if (typeof value === 'number') return Number.isFinite(value) ? value : TRANSFORM_FAILED;
  // Decimal notation only: Number() would also read "0x10" as 16 and "0b11" as 3.
  if (typeof value !== 'string' || !DECIMAL.test(value)) return TRANSFORM_FAILED;
  const n = Number(value);
  return Number.isFinite(n) ? n : TRANSFORM_FAILED;
}

export const numberTransform: Transform = {
  name: 'number',
  description: 'A finite number, from a number or a numeric string (`"19.99"` → `19.99`).',
  apply: toFiniteNumber,
};
