import { Transform, TRANSFORM_FAILED } from './transform';

export const lowercaseTransform: Transform = {
  name: 'lowercase',
  description: 'Lower-cases a string.',
  apply: (value) => (typeof value === 'string' ? value.toLowerCase() : TRANSFORM_FAILED),
};
