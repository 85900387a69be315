import { FindingSink, pointerJoin } from '../diagnostics';
import { didYouMean } from '../suggest';
import { LogicFn, truthy } from './operator';
import { OPERATOR_NAMES, OPERATORS } from './operators';

export { truthy } from './operator';
export type { LogicFn } from './operator';

const NOTHING: LogicFn = () => undefined;

/**
 * Compiles a json-logic tree into closures, walking it once against the allow-list so a
 * typo is a diagnostic at load time, not an exception on the first event.
 */
export function compileLogic(raw: unknown, pointer: string, sink: FindingSink): LogicFn {
  if (Array.isArray(raw)) {
    const items = raw.map((item, i) => compileLogic(item, pointerJoin(pointer, i), sink));
    return (data) => items.map((f) => f(data));
  }
  if (raw === null || typeof raw !== 'object') return () => raw;

  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    sink.error('INVALID_CONDITION', pointer, `a json-logic operation has exactly one key, the operator; this object has ${keys.length}`);
    return NOTHING;
  }
  const name = keys[0];
  const operatorPointer = pointerJoin(pointer, name);
  const operator = Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined;
  if (!operator) {
    sink.error('UNKNOWN_OPERATOR', operatorPointer, `unknown json-logic operator "${name}"${didYouMean(name, OPERATOR_NAMES)}`, true);
    return NOTHING;
  }
  const written = (raw as Record<string, unknown>)[name];
  const rawArgs = Array.isArray(written) ? written : [written];
  if (rawArgs.length < operator.minArgs || rawArgs.length > operator.maxArgs) {
    const range = operator.maxArgs === operator.minArgs ? `${operator.minArgs}` : operator.maxArgs === Infinity ? `at least ${operator.minArgs}` : `${operator.minArgs} to ${operator.maxArgs}`;
    sink.error('INVALID_CONDITION', operatorPointer, `"${name}" takes ${range} argument(s), got ${rawArgs.length}`);
    return NOTHING;
  }
  const argPointer = (i: number) => (Array.isArray(written) ? pointerJoin(operatorPointer, i) : operatorPointer);
  const args = rawArgs.map((arg, i) => compileLogic(arg, argPointer(i), sink));
  return operator.compile({ args, raw: rawArgs, pointer: operatorPointer, argPointer, sink });
}

/** A rule condition: compiled once, answering a boolean per message. */
export function compileCondition(raw: unknown, pointer: string, sink: FindingSink): (message: unknown) => boolean {
  const fn = compileLogic(raw, pointer, sink);
  // json-logic coerces like JavaScript, which throws on an object whose toString is not a
  // function ({"toString": 1}); such a message does not match, and mapping never throws.
  return (message) => {
    try {
      return truthy(fn(message));
    } catch {
      return false;
    }
  };
}
