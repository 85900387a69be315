import { toFiniteNumber } from './number';
import { Transform, TRANSFORM_FAILED } from './transform';

export const integerTransform: Transform = {
  name: 'integer',
  description: 'A whole number, from a number or numeric string (`"2"` → `2`); `2.5` fails.',
  apply: (value) => {
    const n = toFiniteNumber(value);
    return n !== TRANSFORM_FAILED && Number.isInteger(n) ? n : TRANSFORM_FAILED;
  },
};
