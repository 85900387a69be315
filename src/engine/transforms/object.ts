import { Transform, TRANSFORM_FAILED } from './transform';

export const objectTransform: Transform = {
  name: 'object',
  description: 'Passes a JSON object; fails on anything else (arrays, strings, numbers).',
  apply: (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : TRANSFORM_FAILED),
};
