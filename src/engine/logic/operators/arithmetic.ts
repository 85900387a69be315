import { eager, MANY, Operator } from '../operator';

export const arithmeticOperators: readonly Operator[] = [
  eager('+', 0, MANY, (...values) => values.reduce((a: number, b) => parseFloat(a as any) + parseFloat(b), 0)),
  eager('*', 1, MANY, (...values) => values.reduce((a, b) => parseFloat(a) * parseFloat(b))),
  eager('-', 1, 2, (a, b) => (b === undefined ? -a : a - b)),
  eager('/', 2, 2, (a, b) => a / b),
  eager('%', 2, 2, (a, b) => a % b),
  eager('min', 0, MANY, (...values) => Math.min(...values)),
  eager('max', 0, MANY, (...values) => Math.max(...values)),
];
