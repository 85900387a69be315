import { Transform, TRANSFORM_FAILED } from './transform';

export function toFiniteNumber(value: unknown): number | typeof TRANSFORM_FAILED {
  if (typeof value === 'number') return Number.isFinite(value) ? value : TRANSFORM_FAILED;
  if (typeof value !== 'string' || value.trim() === '') return TRANSFORM_FAILED;
  const n = Number(value);
  return Number.isFinite(n) ? n : TRANSFORM_FAILED;
}

export const numberTransform: Transform = {
  name: 'number',
  description: 'A finite number, from a number or a numeric string (`"19.99"` → `19.99`).',
  apply: toFiniteNumber,
};
