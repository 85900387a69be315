import { pointerJoin } from '../diagnostics';
import { CompiledPath } from '../path';
import { RunContext, warn } from '../run-context';
import { CompileContext, readPath } from './compiled-value';
import { ConsumedNode, remainder } from './consumed-paths';
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
        warn(ctx, 'REST_KEY_SKIPPED', `${path.text}.${key}: ${key === '__proto__' ? 'a "__proto__" key cannot be copied' : 'Braze refuses keys that start with "$"'}`);
        continue;
      }
      if (reserved?.has(key)) {
        warn(ctx, 'REST_KEY_SKIPPED', `${path.text}.${key}: "${key}" names the user, so only the identity settings may set it`);
        continue;
      }
      if (guardExisting && Object.hasOwn(target, key)) {
        warn(ctx, 'REST_KEY_SKIPPED', `${path.text}.${key}: "${key}" is already set by a named field or the user's identifiers`);
        continue;
      }
      target[key] = value;
      copied++;
      record?.(key);
    }
    return copied;
  };
  return { path, copyInto };
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
      describe: `rest of ${rest.path.text}`,
    };
  },
};
