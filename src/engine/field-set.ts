import { pointerJoin } from './diagnostics';
import { Emitter, literal } from './emit';
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
  /** Whether a key is a template, so that the written keys are not known before a run. */
  readonly templatedKeys: boolean;
  /** Writes the present fields into `target`; answers how many were written. */
  fill(ctx: RunContext, target: Record<string, unknown>, trace?: TraceSink | null): number;
  /** `fill` as generated code writing into the local `target`, counting in `counter` if given. */
  emit(e: Emitter, target: string, counter: string | null): string;
}

const unresolvedKey = (field: Field) => `key "${field.key}" needs ${field.keyTemplate!.needs}, which the message lacks or leaves empty`;
const protoKey = (field: Field) => `key "${field.key}" renders to "__proto__"`;
const missingValue = (field: Field) => `"${field.key}" needs ${field.value.describe}, which is missing or unusable`;

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
    templatedKeys: fields.some((f) => f.keyTemplate !== null),
    fill(ctx: RunContext, target: Record<string, unknown>, trace: TraceSink | null = null): number {
      let written = 0;
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i];
        let key = field.key;
        if (field.keyTemplate !== null) {
          const rendered = field.keyTemplate.render(ctx);
          if (rendered === undefined) throw new MapFailure('TEMPLATE_KEY_UNRESOLVED', unresolvedKey(field));
          // A key that would set the prototype cannot be written as data.
          if (rendered === '__proto__') throw new MapFailure('TEMPLATE_KEY_UNRESOLVED', protoKey(field));
          key = rendered;
        }
        if (trace) ctx.sources = [];
        const value = field.value.fn(ctx);
        if (value === undefined || (value === null && field.value.required)) {
          if (field.value.required) throw new MapFailure('REQUIRED_VALUE_MISSING', missingValue(field));
          continue;
        }
        target[key] = value;
        written++;
        if (trace) trace.record(key, ctx.sources!.length > 0 ? ctx.sources!.join(', ') : field.value.describe);
      }
      return written;
    },
    emit(e: Emitter, target: string, counter: string | null): string {
      const failure = e.constant(MapFailure);
      const count = counter === null ? '' : ` ${counter}++;`;
      let code = '';
      for (const field of fields) {
        let key = literal(field.key);
        if (field.keyTemplate !== null) {
          key = e.local();
          code += field.keyTemplate.emit(e, key);
          code += `if (${key} === undefined) throw new ${failure}('TEMPLATE_KEY_UNRESOLVED', ${literal(unresolvedKey(field))});\n`;
          code += `if (${key} === '__proto__') throw new ${failure}('TEMPLATE_KEY_UNRESOLVED', ${literal(protoKey(field))});\n`;
        }
        const value = e.local();
        code += field.value.emit(e, value);
        if (field.value.required) {
          code += `if (${value} === undefined || ${value} === null) throw new ${failure}('REQUIRED_VALUE_MISSING', ${literal(missingValue(field))});\n`;
          code += `${target}[${key}] = ${value};${count}\n`;
        } else code += `if (${value} !== undefined) { ${target}[${key}] = ${value};${count} }\n`;
      }
      return code;
    },
  });
}
