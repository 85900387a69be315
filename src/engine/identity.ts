import { createCompileContext } from './compile-context';
import { FindingSink, pointerJoin } from './diagnostics';
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

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Who a /users/track object is about: `external_id` when the message has one, else a
 * `user_alias` with `_update_existing_only: false` so that Braze creates the alias-only user.
 */
export function compileIdentity(raw: Record<string, unknown>, pointer: string, sink: FindingSink): IdentityResolver {
  const cc = createCompileContext(sink, false);
  const part = (key: keyof typeof DEFAULT_IDENTITY): CompiledValue | null =>
    cc.compileValue(Object.hasOwn(raw, key) ? raw[key] : DEFAULT_IDENTITY[key], pointerJoin(pointer, key));
  const externalId = part('external_id');
  const aliasName = part('alias_name');
  const aliasLabel = part('alias_label');
  return (ctx) => {
    const id = externalId && nonEmptyString(externalId.fn(ctx));
    if (id !== undefined) return { external_id: id };
    const name = aliasName && nonEmptyString(aliasName.fn(ctx));
    const label = aliasLabel && nonEmptyString(aliasLabel.fn(ctx));
    if (name !== undefined && label !== undefined) {
      return { user_alias: { alias_name: name, alias_label: label }, _update_existing_only: false };
    }
    throw new MapFailure('NO_IDENTITY', 'the message names no user: it needs a userId or an anonymousId');
  };
}
