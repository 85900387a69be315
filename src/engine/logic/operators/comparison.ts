import { eager, Operator } from '../operator';

/* eslint-disable eqeqeq -- json-logic defines == and != as JavaScript's loose equality */
export const comparisonOperators: readonly Operator[] = [
  eager('==', 2, 2, (a, b) => a == b),
  eager('===', 2, 2, (a, b) => a === b),
  eager('!=', 2, 2, (a, b) => a != b),
  eager('!==', 2, 2, (a, b) => a !== b),
  eager('>', 2, 2, (a, b) => a > b),
  eager('>=', 2, 2, (a, b) => a >= b),
  // Three arguments mean "between": a < b < c.
  eager('<', 2, 3, (a, b, c) => (c === undefined ? a < b : a < b && b < c)),
  eager('<=', 2, 3, (a, b, c) => (c === undefined ? a <= b : a <= b && b <= c)),
];
