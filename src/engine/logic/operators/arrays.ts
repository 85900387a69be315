import { eager, LogicFn, MANY, Operator, truthy } from '../operator';

/** Operators whose second argument runs once per element, with the element as data. */
function scoped(name: string, run: (items: unknown[], test: LogicFn) => unknown, notArray: unknown): Operator {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    compile: ({ args: [source, test] }) => (data) => {
      const items = source(data);
      return Array.isArray(items) ? run(items, test) : notArray;
    },
  };
}

export const arrayOperators: readonly Operator[] = [
  eager('merge', 0, MANY, (...values) => values.reduce((a: unknown[], b) => a.concat(b), [])),
  scoped('some', (items, test) => items.some((x) => truthy(test(x))), false),
  scoped('all', (items, test) => items.length > 0 && items.every((x) => truthy(test(x))), false),
  scoped('none', (items, test) => !items.some((x) => truthy(test(x))), true),
  scoped('filter', (items, test) => items.filter((x) => truthy(test(x))), []),
  scoped('map', (items, test) => items.map((x) => test(x)), []),
];
