import { createCompileContext } from './compile-context';
import { FindingSink, pointerJoin } from './diagnostics';
import { Emitter, literal } from './emit';
import { CompiledValue } from './expression/compiled-value';
import { MapFailure, RunContext } from './run-context';

export type Identifiers = Readonly<Record<string, unknown>>;
export type IdentityResolver = (ctx: RunContext) => Identifiers;

/** What `identity:` means when a mapping set does not say it. */
export const DEFAULT_IDENTITY = Object.freeze({
  external_id: { path: 'userId', transform: 'string' },
  alias_name: { path: 'anonymousId', transform: 'string' },
  alias_label: { const: 'segment_anonymous_id' },
});

const NO_IDENTITY = 'the message names no user: it needs a userId or an anonymousId';

/** Statements that set `out` to the part's value when it is a non-empty string, else undefined. */
function emitPart(e: Emitter, part: CompiledValue | null, out: string): string {
  // A part that did not compile stays null, as `part && …` leaves it (such a plan never runs).
  if (part === null) return `${out} = null;\n`;
  return `${part.emit(e, out)}if (typeof ${out} !== 'string' || ${out} === '') ${out} = undefined;\n`;
}

/**
 * Who a /users/track object is about: `external_id` when the message has one, else a
 * `user_alias` with `_update_existing_only: false` so that Braze creates the alias-only user.
 * Generated code (see emit.ts); both alias parts are read even when one is missing, so that
 * their transform warnings do not depend on the order.
 */
export function compileIdentity(raw: Record<string, unknown>, pointer: string, sink: FindingSink): IdentityResolver {
  const cc = createCompileContext(sink, false);
  const part = (key: keyof typeof DEFAULT_IDENTITY): CompiledValue | null =>
    cc.compileValue(Object.hasOwn(raw, key) ? raw[key] : DEFAULT_IDENTITY[key], pointerJoin(pointer, key));
  const externalId = part('external_id');
  const aliasName = part('alias_name');
  const aliasLabel = part('alias_label');
  const e = new Emitter();
  const [id, name, label] = [e.local(), e.local(), e.local()];
  const body =
    emitPart(e, externalId, id) +
    `if (${id} !== undefined) return { external_id: ${id} };\n` +
    emitPart(e, aliasName, name) +
    emitPart(e, aliasLabel, label) +
    `if (${name} !== undefined && ${label} !== undefined) return { user_alias: { alias_name: ${name}, alias_label: ${label} }, _update_existing_only: false };\n` +
    `throw new ${e.constant(MapFailure)}('NO_IDENTITY', ${literal(NO_IDENTITY)});\n`;
  try {
    return e.finish<IdentityResolver>(body);
  } catch {
    sink.error('INVALID_VALUE', pointer, 'the identity settings nest too deeply to compile (thousands of transforms or candidates)');
    return () => {
      throw new MapFailure('NO_IDENTITY', NO_IDENTITY);
    };
  }
}
