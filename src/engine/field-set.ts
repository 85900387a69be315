import { pointerJoin } from './diagnostics';
import { CompileContext, CompiledValue } from './expression/compiled-value';
import { CompiledTemplate, compileTemplateText } from './expression/template.directive';
import { MapFailure, RunContext } from './run-context';
import { isTemplate } from './template';

interface Field {
  readonly key: string;
  readonly keyTemplate: CompiledTemplate | null;
  readonly value: CompiledValue;
}

export interface TraceSink {
  record(field: string, source: string): void;
}

/** A compiled map of output key → value expression. */
export interface FieldSet {
  readonly keys: readonly string[];
  /** Writes the present fields into `target`; answers how many were written. */
  fill(ctx: RunContext, target: Record<string, unknown>, trace?: TraceSink | null): number;
}

export function compileFieldSet(raw: Record<string, unknown>, pointer: string, cc: CompileContext): FieldSet {
  const fields: Field[] = [];
  for (const [key, rawValue] of Object.entries(raw)) {
    const fieldPointer = pointerJoin(pointer, key);
    if (key === '__proto__') {
      cc.sink.error('INVALID_VALUE', fieldPointer, 'a field cannot be named "__proto__"', true);
      continue;
    }
    const keyTemplate = isTemplate(key) ? compileTemplateText(key, fieldPointer, cc, true) : null;
    const value = cc.compileValue(rawValue, fieldPointer);
    if (value && (keyTemplate || !isTemplate(key))) fields.push({ key, keyTemplate, value });
  }
  return Object.freeze({
    keys: Object.freeze(fields.map((f) => f.key)),
    fill(ctx: RunContext, target: Record<string, unknown>, trace: TraceSink | null = null): number {
      let written = 0;
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i];
        let key = field.key;
        if (field.keyTemplate !== null) {
          const rendered = field.keyTemplate.render(ctx);
          if (rendered === undefined) {
            throw new MapFailure('TEMPLATE_KEY_UNRESOLVED', `key "${field.key}" needs ${field.keyTemplate.needs}, which the message lacks or leaves empty`);
          }
          // A key that would set the prototype cannot be written as data.
          if (rendered === '__proto__') throw new MapFailure('TEMPLATE_KEY_UNRESOLVED', `key "${field.key}" renders to "__proto__"`);
          key = rendered;
        }
        if (trace) ctx.sources = [];
        const value = field.value.fn(ctx);
        if (value === undefined || (value === null && field.value.required)) {
          if (field.value.required) throw new MapFailure('REQUIRED_VALUE_MISSING', `"${field.key}" needs ${field.value.describe}, which is missing or unusable`);
          continue;
        }
        target[key] = value;
        written++;
        if (trace) trace.record(key, ctx.sources!.length > 0 ? ctx.sources!.join(', ') : field.value.describe);
      }
      return written;
    },
  });
}
