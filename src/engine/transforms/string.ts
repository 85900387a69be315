import { Transform, TRANSFORM_FAILED } from './transform';

export const stringTransform: Transform = {
  name: 'string',
  description: 'Strings stay; numbers and booleans become their decimal/text form (`123` → `"123"`).',
  apply: (value) =>
    typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : TRANSFORM_FAILED,
};
