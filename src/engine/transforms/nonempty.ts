import { Transform, TRANSFORM_FAILED } from './transform';

export const nonemptyTransform: Transform = {
  name: 'nonempty',
  description: 'Fails on an empty or blank string (so `first` moves on to its next candidate); other values pass.',
  apply: (value) => (typeof value === 'string' && value.trim() === '' ? TRANSFORM_FAILED : value),
};
