import { FindingSink } from '../diagnostics';
import { EmitValue } from '../emit';
import { CompiledPath } from '../path';
import { RunContext } from '../run-context';
import { ConsumedPaths } from './consumed-paths';

/** A value expression after compilation: a closure that answers `undefined` when absent. */
export type ValueFn = (ctx: RunContext) => unknown;

export interface CompiledValue {
  /** The interpreter, for trace mode: it records the sources it reads. */
  readonly fn: ValueFn;
  /** The same value as generated code, for the request path (see emit.ts). */
  readonly emit: EmitValue;
  /** Short human description for error messages: `traits.email`, `"USD"`, `template "…"`. */
  readonly describe: string;
  readonly required: boolean;
}

export interface CompileContext {
  readonly sink: FindingSink;
  readonly inEach: boolean;
  /** Paths read by the fields of the enclosing output, for `rest`. */
  readonly consumed: ConsumedPaths;
  compileValue(raw: unknown, pointer: string): CompiledValue | null;
  /**
   * Compiles a path, reporting MALFORMED_PATH / ITEM_OUTSIDE_EACH at `pointer`; unless
   * `consume` is false, marks it read so that `rest` leaves it out.
   */
  compilePathAt(text: string, pointer: string, atKey?: boolean, consume?: boolean): CompiledPath | null;
}

/** Reads a path against the right root and records it when tracing. */
export function readPath(path: CompiledPath, ctx: RunContext): unknown {
  const value = path.get(path.scope === 'item' ? ctx.item : ctx.msg);
  if (ctx.sources !== null && value !== undefined) ctx.sources.push(path.text);
  return value;
}
