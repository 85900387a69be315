import { EmitValue } from '../emit';
import { CompileContext, ValueFn } from './compiled-value';

/** A source directive (`path`, `const`, …): exactly one of them starts every value expression. */
export interface SourceDirective {
  readonly key: string;
  readonly description: string;
  compile(raw: unknown, pointer: string, cc: CompileContext): { fn: ValueFn; emit: EmitValue; describe: string } | null;
}
