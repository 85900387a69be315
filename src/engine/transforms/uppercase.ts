import { Transform, TRANSFORM_FAILED } from './transform';

export const uppercaseTransform: Transform = {
  name: 'uppercase',
  description: 'Upper-cases a string (`"usd"` → `"USD"`).',
  apply: (value) => (typeof value === 'string' ? value.toUpperCase() : TRANSFORM_FAILED),
};
