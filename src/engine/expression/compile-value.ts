import { pointerJoin } from '../diagnostics';
import { EmitValue, literal } from '../emit';
import { TRANSFORM_FAILED, Transform, TRANSFORMS } from '../transforms';
import { RunContext, warn } from '../run-context';
import { CompileContext, CompiledValue, ValueFn } from './compiled-value';
import { constDirective, deepFreeze } from './const.directive';
import { SourceDirective } from './directive';
import { firstDirective } from './first.directive';
import { objectDirective } from './object.directive';
import { pathDirective } from './path.directive';
import { restDirective } from './rest.directive';
import { templateDirective } from './template.directive';

export const SOURCE_DIRECTIVES: Readonly<Record<string, SourceDirective>> = Object.freeze(
  Object.fromEntries([pathDirective, constDirective, templateDirective, firstDirective, objectDirective, restDirective].map((d) => [d.key, d])),
);
const SOURCE_KEYS = Object.keys(SOURCE_DIRECTIVES);
const KNOWN_KEYS = new Set([...SOURCE_KEYS, 'transform', 'default', 'required']);

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Nested deeper than the stack allows (the CLI and library take any input).
    text = Array.isArray(value) ? '[…]' : '{…}';
  }
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

function where(ctx: RunContext, describe: string): string {
  return ctx.itemLabel === '' ? describe : `${ctx.itemLabel} (${describe})`;
}

function transformFailed(ctx: RunContext, describe: string, transform: Transform, value: unknown): void {
  warn(ctx, 'TRANSFORM_FAILED', `${where(ctx, describe)}: ${transform.name} cannot use ${preview(value)}`);
}

/** Wraps a source with `transform` and `default`. Nulls pass transforms untouched. */
function withModifiers(source: ValueFn, describe: string, transforms: readonly Transform[], fallback: { value: unknown } | null): ValueFn {
  if (transforms.length === 0 && fallback === null) return source;
  const fallbackValue = fallback?.value;
  return (ctx) => {
    let value = source(ctx);
    if (value !== undefined && value !== null) {
      for (let i = 0; i < transforms.length; i++) {
        const next = transforms[i].apply(value);
        if (next === TRANSFORM_FAILED) {
          transformFailed(ctx, describe, transforms[i], value);
          value = undefined;
          break;
        }
        value = next;
      }
    }
    return (value === undefined || value === null) && fallback !== null ? fallbackValue : value;
  };
}

/** withModifiers as generated code: one nested `if` per transform, stopping at a failure. */
function emitWithModifiers(source: EmitValue, describe: string, transforms: readonly Transform[], fallback: { value: unknown } | null): EmitValue {
  if (transforms.length === 0 && fallback === null) return source;
  return (e, out) => {
    let code = source(e, out);
    if (transforms.length > 0) {
      const next = e.local();
      code += `if (${out} !== undefined && ${out} !== null) {\n`;
      for (const transform of transforms) {
        const t = e.constant(transform);
        code += `${next} = ${t}.apply(${out});\n`;
        code += `if (${next} === ${e.constant(TRANSFORM_FAILED)}) { ${e.constant(transformFailed)}(ctx, ${literal(describe)}, ${t}, ${out}); ${out} = undefined; } else {\n${out} = ${next};\n`;
      }
      code += '}\n'.repeat(transforms.length + 1);
    }
    if (fallback !== null) code += `if (${out} === undefined || ${out} === null) ${out} = ${e.constant(fallback.value)};\n`;
    return code;
  };
}

function compileTransforms(raw: unknown): Transform[] {
  if (raw === undefined) return [];
  const names = Array.isArray(raw) ? raw : [raw];
  // Unknown names are reported by the schema (UNKNOWN_TRANSFORM); they are skipped here.
  return names.filter((n): n is string => typeof n === 'string' && Object.hasOwn(TRANSFORMS, n)).map((n) => TRANSFORMS[n]);
}

/**
 * A value expression: a path string, or an object with exactly one source directive plus
 * optional `transform`, `default` and `required`.
 */
export function compileValue(raw: unknown, pointer: string, cc: CompileContext): CompiledValue | null {
  if (typeof raw === 'string') {
    const compiled = pathDirective.compile(raw, pointer, cc);
    return compiled && { ...compiled, required: false };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const spec = raw as Record<string, unknown>;
  const sources = SOURCE_KEYS.filter((k) => Object.hasOwn(spec, k));
  // With a misspelt key (UNKNOWN_KEY from the schema), a missing source is the same mistake.
  if (sources.length === 0 && Object.keys(spec).some((k) => !KNOWN_KEYS.has(k))) return null;
  if (sources.length !== 1) {
    const message =
      sources.length === 0
        ? `a value needs one source: ${SOURCE_KEYS.join(', ')}`
        : `a value takes one source, this one has ${sources.map((s) => `"${s}"`).join(' and ')}`;
    cc.sink.error('EXPRESSION_SOURCE', pointer, message);
    return null;
  }
  const key = sources[0];
  const source = SOURCE_DIRECTIVES[key].compile(spec[key], pointerJoin(pointer, key), cc);
  if (!source) return null;
  const transforms = compileTransforms(spec.transform);
  // Frozen like `const`: the same default object goes into every message's output.
  const fallback = Object.hasOwn(spec, 'default') ? { value: deepFreeze(structuredClone(spec.default)) } : null;
  return Object.freeze({
    fn: withModifiers(source.fn, source.describe, transforms, fallback),
    emit: emitWithModifiers(source.emit, source.describe, transforms, fallback),
    describe: source.describe,
    required: spec.required === true,
  });
}
