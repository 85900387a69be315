import { identifierFieldsOf } from './identity-key';

/**
 * Which members of a Braze attributes object are state that can be compared with what Braze
 * accepted before, and which are not (reference: ../shared/reference/braze-users-track.md).
 */

/** Members that steer how Braze applies the object, not state of the user: always sent, never remembered, free. */
export const FLAG_FIELDS: ReadonlySet<string> = new Set(['_update_existing_only', '_merge_objects', 'push_token_import', 'push_tokens']);

/** Subscription states: compared like any attribute, but free of data points. */
export const SUBSCRIPTION_FIELDS: ReadonlySet<string> = new Set(['email_subscribe', 'push_subscribe', 'subscription_groups']);

/** `{"inc": n}`, `{"add": […]}`, `{"remove": […]}` on the attribute itself. */
const TOP_OPERATORS = ['inc', 'add', 'remove'];

/**
 * An operator value changes Braze's value relative to what is there (`inc`, `add`/`remove`,
 * `$add`/`$remove`/`$update` anywhere in a nested value): sending it twice is two changes,
 * so it is never compared and always sent.
 */
export function isOperatorValue(value: unknown): boolean {
  if (!isPlainObject(value)) return Array.isArray(value) && value.some(isOperatorValue);
  if (TOP_OPERATORS.some((op) => Object.hasOwn(value, op))) return true;
  return hasDollarKey(value);
}

function hasDollarKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasDollarKey);
  if (!isPlainObject(value)) return false;
  return Object.keys(value).some((key) => key.startsWith('$') || hasDollarKey(value[key]));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The members of an attributes object that are sent whatever the memory says: identifiers, flags and the mapping's always-sent keys. */
export function neverDroppedOf(object: Readonly<Record<string, unknown>>, alwaysSent: readonly string[]): ReadonlySet<string> {
  const kept = new Set<string>(identifierFieldsOf(object));
  for (const key of Object.keys(object)) if (FLAG_FIELDS.has(key)) kept.add(key);
  for (const key of alwaysSent) kept.add(key);
  return kept;
}
