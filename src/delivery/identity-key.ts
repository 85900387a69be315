/**
 * The Braze user an object is about, as one key: the attribute memory's key for the user
 * (and `segment-braze memory show|forget`'s argument). Braze's own precedence: an
 * `external_id` names the user whatever else the object carries, then a `braze_id`, then a
 * `user_alias`, then an `email` or `phone` when the object names the user by those alone.
 *
 * `external_id:<id>`, `braze_id:<id>`, `user_alias:<name>:<label>`, `email:<address>`,
 * `phone:<number>`. In an alias's parts `%` and `:` are written `%25` and `%3A`, so that
 * no two aliases share a key. Null when the object names no user this way: it is not
 * compared with anything (when in doubt, send).
 */
export function identityKeyOf(object: Readonly<Record<string, unknown>>): string | null {
  const id = nonEmpty(object.external_id);
  if (id !== null) return `external_id:${id}`;
  const brazeId = nonEmpty(object.braze_id);
  if (brazeId !== null) return `braze_id:${brazeId}`;
  const alias = object.user_alias;
  if (alias !== null && typeof alias === 'object') {
    const { alias_name, alias_label } = alias as Record<string, unknown>;
    const name = nonEmpty(alias_name);
    const label = nonEmpty(alias_label);
    return name !== null && label !== null ? aliasKey(name, label) : null;
  }
  const email = nonEmpty(object.email);
  if (email !== null) return `email:${email}`;
  const phone = nonEmpty(object.phone);
  return phone !== null ? `phone:${phone}` : null;
}

/** The key of an alias, for the pairs of `/users/identify` (both of whose users are forgotten when Braze merges them). */
export function aliasKey(name: string, label: string): string {
  return `user_alias:${escapePart(name)}:${escapePart(label)}`;
}

/** The keys an object's fields serve to identify its user: never left out, never compared, never billed. */
export function identifierFieldsOf(object: Readonly<Record<string, unknown>>): readonly string[] {
  const named = ['external_id', 'braze_id', 'user_alias'].filter((key) => object[key] !== undefined);
  if (named.length > 0) return named;
  // With no other identifier, an email or phone is what names the user: sent whatever the memory says.
  return ['email', 'phone'].filter((key) => object[key] !== undefined);
}

function nonEmpty(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A');
}
