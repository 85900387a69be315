/** The endpoint of a dead letter that never became a Braze object: the mapping refused its message. */
export const UNMAPPED = 'unmapped';

/** The key of an identify entry: merging the same pair twice only burns Braze's lower limit. */
export function mergeKeyOf(endpoint: string, object: Record<string, unknown>): string | null {
  if (endpoint !== '/users/identify') return null;
  const alias = object.user_alias as { alias_name?: unknown; alias_label?: unknown } | undefined;
  if (typeof object.external_id !== 'string' || !alias) return null;
  return JSON.stringify([object.external_id, alias.alias_name, alias.alias_label]);
}
