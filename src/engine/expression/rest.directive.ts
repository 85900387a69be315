import { pointerJoin } from '../diagnostics';
import { CompiledPath } from '../path';
import { RunContext, warn } from '../run-context';
import { CompileContext, readPath } from './compiled-value';
import { ConsumedNode, remainder } from './consumed-paths';
import { SourceDirective } from './directive';

export type RestFn = (ctx: RunContext) => Record<string, unknown> | undefined;

/**
 * `rest: traits` or `rest: {from: traits, except: [password]}`: the members of an object
 * that no named field of the same output reads. Keys Braze refuses (a leading `$`) are left
 * out with a warning, never silently.
 */
export function compileRest(raw: unknown, pointer: string, cc: CompileContext): { fn: RestFn; path: CompiledPath } | null {
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
  const fn: RestFn = (ctx) => {
    if (below === undefined) below = cc.consumed.below(path);
    const left = remainder(readPath(path, ctx), below);
    if (left === undefined) return undefined;
    let kept = left;
    for (const key of Object.keys(left)) {
      if (!key.startsWith('$')) continue;
      if (kept === left) kept = { ...left };
      delete kept[key];
      warn(ctx, 'REST_KEY_SKIPPED', `${path.text}.${key}: Braze refuses keys that start with "$"`);
    }
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  return { fn, path };
}

export const restDirective: SourceDirective = {
  key: 'rest',
  description: 'The members of an object that no other field of this output reads (`{rest: $item}`).',
  compile(raw, pointer, cc) {
    const rest = compileRest(raw, pointer, cc);
    return rest && { fn: rest.fn, describe: `rest of ${rest.path.text}` };
  },
};
