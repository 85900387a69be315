import { FindingSink } from '../diagnostics';

/** A compiled json-logic expression: data in, value out, no tree walking. */
export type LogicFn = (data: unknown) => unknown;

export interface OperatorCompile {
  /** Compiled arguments, in order. */
  readonly args: readonly LogicFn[];
  /** The arguments as written, for operators that take literals (var). */
  readonly raw: readonly unknown[];
  readonly pointer: string;
  /** Where argument i is written (the operator's pointer when the argument is not in a list). */
  argPointer(i: number): string;
  readonly sink: FindingSink;
}

export interface Operator {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  compile(c: OperatorCompile): LogicFn;
}

/** json-logic truthiness: like JavaScript's, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return !!value;
}

const MANY = Number.POSITIVE_INFINITY;
export { MANY };

/** For operators that evaluate every argument eagerly and combine the values. */
export function eager(name: string, minArgs: number, maxArgs: number, combine: (...values: any[]) => unknown): Operator {
  return {
    name,
    minArgs,
    maxArgs,
    compile: ({ args }) => {
      if (args.length === 1) {
        const [a] = args;
        return (data) => combine(a(data));
      }
      if (args.length === 2) {
        const [a, b] = args;
        return (data) => combine(a(data), b(data));
      }
      return (data) => combine(...args.map((f) => f(data)));
    },
  };
}
