import { eager, LogicFn, MANY, Operator, truthy } from '../operator';

/** `and` answers the first falsy value or the last; evaluation stops early. */
const and: Operator = {
  name: 'and',
  minArgs: 1,
  maxArgs: MANY,
  compile: ({ args }) => (data) => {
    let current: unknown;
    for (const f of args) {
      current = f(data);
      if (!truthy(current)) return current;
    }
    return current;
  },
};

const or: Operator = {
  name: 'or',
  minArgs: 1,
  maxArgs: MANY,
  compile: ({ args }) => (data) => {
    let current: unknown;
    for (const f of args) {
      current = f(data);
      if (truthy(current)) return current;
    }
    return current;
  },
};

/** if(c1, v1, c2, v2, …, else): pairs of condition and value, then an optional else. */
function conditional(name: string): Operator {
  return {
    name,
    minArgs: 0,
    maxArgs: MANY,
    compile: ({ args }) => (data) => {
      let i = 0;
      for (; i < args.length - 1; i += 2) if (truthy(args[i](data))) return args[i + 1](data);
      return i === args.length - 1 ? (args[i] as LogicFn)(data) : null;
    },
  };
}

export const logicalOperators: readonly Operator[] = [
  and,
  or,
  conditional('if'),
  conditional('?:'),
  eager('!', 1, 1, (a) => !truthy(a)),
  eager('!!', 1, 1, (a) => truthy(a)),
];
