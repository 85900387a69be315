import { Transform, TRANSFORM_FAILED } from './transform';

export const trimTransform: Transform = {
  name: 'trim',
  description: 'Removes leading and trailing white space from a string.',
  apply: (value) => (typeof value === 'string' ? value.trim() : TRANSFORM_FAILED),
};
