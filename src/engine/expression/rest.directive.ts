import { pointerJoin } from '../diagnostics';
import { Emitter, literal } from '../emit';
import { CompiledPath } from '../path';
import { RunContext, warn } from '../run-context';
import { CompileContext, readPath } from './compiled-value';
import { ConsumedNode, emitRemainder, remainder } from './consumed-paths';
import { isJsonObject } from '../json';
import { SourceDirective } from './directive';

export interface CompiledRest {
  readonly path: CompiledPath;
  /**
   * Copies the unread members into `target` in one pass; answers how many it copied. With
   * `guardExisting`, a key the target already has is kept and the copy is skipped, with a
   * warning; so are the keys in `reserved` (the user's identifiers, for /users/track objects).
   */
  copyInto(ctx: RunContext, target: Record<string, unknown>, guardExisting: boolean, record?: (key: string) => void, reserved?: ReadonlySet<string>): number;
  /**
   * `copyInto` as generated code. `written` lists the keys the target can hold beforehand
   * (null: any), for `guardExisting`; the copies are counted in `counter` if given. Call it
   * only once every sibling field has compiled.
   */
  emitCopy(e: Emitter, target: string, guard: { written: readonly string[] | null; reserved?: ReadonlySet<string> } | null, counter: string | null): string;
}

type SkipReason = 'dollar' | 'proto' | 'reserved' | 'existing';

function skipMessage(path: string, key: string, reason: SkipReason): string {
  const why =
    reason === 'proto'
      ? 'a "__proto__" key cannot be copied'
      : reason === 'dollar'
        ? 'Braze refuses keys that start with "$"'
        : reason === 'reserved'
          ? `"${key}" names the user, so only the identity settings may set it`
          : `"${key}" is already set by a named field or the user's identifiers`;
  return `${path}.${key}: ${why}`;
}

function skip(ctx: RunContext, path: string, key: string, reason: SkipReason): void {
  warn(ctx, 'REST_KEY_SKIPPED', skipMessage(path, key, reason));
}

/**
 * `rest: traits` or `rest: {from: traits, except: [password]}`: the members of an object
 * that no named field of the same output reads. Keys Braze refuses (a leading `$`) are left
 * out with a warning, never silently.
 */
export function compileRest(raw: unknown, pointer: string, cc: CompileContext): CompiledRest | null {
  const spec = typeof raw === 'string' ? { from: raw, except: [] as unknown[] } : (raw as { from?: unknown; except?: unknown });
  if (spec === null || typeof spec !== 'object' || typeof spec.from !== 'string') return null;
  const fromPointer = typeof raw === 'string' ? pointer : pointerJoin(pointer, 'from');
  const path = cc.compilePathAt(spec.from, fromPointer, false, false);
  if (!path) return null;
  const except = Array.isArray(spec.except) ? spec.except : [];
  except.forEach((key, i) => {
    if (typeof key !== 'string') return;
    const excluded = cc.compilePathAt(`${spec.from}.${key}`, pointerJoin(pointer, 'except', i));
    if (excluded) cc.consumed.add(excluded);
  });
  // The consumption tree is complete only after every sibling field has compiled.
  let below: ConsumedNode | null | undefined;
  const copyInto: CompiledRest['copyInto'] = (ctx, target, guardExisting, record, reserved) => {
    const source = readPath(path, ctx);
    if (!isJsonObject(source)) return 0;
    if (below === undefined) below = cc.consumed.below(path);
    if (below?.whole) return 0;
    let copied = 0;
    for (const key of Object.keys(source)) {
      const child = below?.children.get(key);
      let value = source[key];
      if (child) {
        if (child.whole) continue;
        if (isJsonObject(value)) {
          value = remainder(value, child);
          if (value === undefined) continue;
        }
      }
      if (key.charCodeAt(0) === 36 /* $ */ || key === '__proto__') {
        skip(ctx, path.text, key, key === '__proto__' ? 'proto' : 'dollar');
        continue;
      }
      if (reserved?.has(key)) {
        skip(ctx, path.text, key, 'reserved');
        continue;
      }
      if (guardExisting && Object.hasOwn(target, key)) {
        skip(ctx, path.text, key, 'existing');
        continue;
      }
      target[key] = value;
      copied++;
      record?.(key);
    }
    return copied;
  };
  const emitCopy: CompiledRest['emitCopy'] = (e, target, guard, counter) => {
    const node = cc.consumed.below(path);
    if (node?.whole) return '';
    return emitRestLoop(e, path, node, target, guard, counter);
  };
  return { path, copyInto, emitCopy };
}

/**
 * The loop of copyInto with every decision that depends on the key alone taken at compile
 * time: a `switch` on the keys that are read, reserved or possibly written; the rest of the
 * keys only need the `$` test (and the own-key test when templated keys may be written).
 */
function emitRestLoop(e: Emitter, path: CompiledPath, node: ConsumedNode | null, target: string, guard: Parameters<CompiledRest['emitCopy']>[2], counter: string | null): string {
  const [source, keys, i, key, value] = [e.local(), e.local(), e.local(), e.local(), e.local()];
  const skipped = (reason: SkipReason, k: string) => `${e.constant(warn)}(ctx, 'REST_KEY_SKIPPED', ${literal(skipMessage(path.text, k, reason))}); continue;`;
  const written = new Set(guard?.written ?? []);
  const byKey = (k: string): string => {
    if (k.charCodeAt(0) === 36 || k === '__proto__') return skipped(k === '__proto__' ? 'proto' : 'dollar', k);
    if (guard?.reserved?.has(k)) return skipped('reserved', k);
    if (guard && (guard.written === null || written.has(k))) return `if (Object.hasOwn(${target}, ${key})) { ${skipped('existing', k)} } break;`;
    return 'break;';
  };
  const cases = new Map<string, string>();
  for (const [k, child] of node?.children ?? []) {
    if (child.whole) cases.set(k, 'continue;');
    else {
      const rest = `if (${value} === undefined) continue;`;
      cases.set(k, `if (${value} !== null && typeof ${value} === 'object' && !Array.isArray(${value})) {\n${emitRemainder(e, child, value)}${rest}\n}\n${byKey(k)}`);
    }
  }
  for (const k of [...(guard?.reserved ?? []), ...written, '__proto__']) if (!cases.has(k)) cases.set(k, byKey(k));
  const dynamic = e.constant(skip);
  let code = e.read(path, source);
  code += `if (${source} !== null && typeof ${source} === 'object' && !Array.isArray(${source})) {\n${keys} = Object.keys(${source});\n`;
  code += `for (${i} = 0; ${i} < ${keys}.length; ${i}++) {\n${key} = ${keys}[${i}];\n${value} = ${source}[${key}];\nswitch (${key}) {\n`;
  for (const [k, body] of cases) code += `case ${literal(k)}: ${body}\n`;
  code += `default:\nif (${key}.charCodeAt(0) === 36) { ${dynamic}(ctx, ${literal(path.text)}, ${key}, 'dollar'); continue; }\n`;
  if (guard?.written === null) code += `if (Object.hasOwn(${target}, ${key})) { ${dynamic}(ctx, ${literal(path.text)}, ${key}, 'existing'); continue; }\n`;
  code += `}\n${target}[${key}] = ${value};${counter === null ? '' : ` ${counter}++;`}\n}\n}\n`;
  return code;
}

export const restDirective: SourceDirective = {
  key: 'rest',
  description: 'The members of an object that no other field of this output reads (`{rest: $item}`).',
  compile(raw, pointer, cc) {
    const rest = compileRest(raw, pointer, cc);
    if (!rest) return null;
    return {
      fn: (ctx) => {
        const out: Record<string, unknown> = {};
        return rest.copyInto(ctx, out, false) > 0 ? out : undefined;
      },
      emit: (e, out) => {
        const object = e.local();
        const copied = e.local();
        return `${object} = {}; ${copied} = 0;\n${rest.emitCopy(e, object, null, copied)}${out} = ${copied} > 0 ? ${object} : undefined;\n`;
      },
      describe: `rest of ${rest.path.text}`,
    };
  },
};
