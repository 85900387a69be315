import { eager, MANY, Operator } from '../operator';

export const stringOperators: readonly Operator[] = [
  // Substring of a string, or membership in an array.
  eager('in', 2, 2, (a, b) => (b && typeof b.indexOf === 'function' ? b.indexOf(a) !== -1 : false)),
  eager('cat', 0, MANY, (...values) => values.join('')),
  eager('substr', 2, 3, (source, start, end) => {
    if (end < 0) {
      const tail = String(source).substr(start);
      return tail.substr(0, tail.length + end);
    }
    return String(source).substr(start, end);
  }),
];
