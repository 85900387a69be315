import { identifierFieldsOf } from './identity-key';
import { FLAG_FIELDS, isPlainObject, SUBSCRIPTION_FIELDS } from './attribute-rules';

export type DataPointKind = 'attribute' | 'event' | 'purchase';

const KIND_OF_ARRAY: Readonly<Record<string, DataPointKind>> = { attributes: 'attribute', events: 'event', purchases: 'purchase' };

/** Which kind of data points an object of a /users/track array spends; null for any other array (identify, aliases: free). */
export function dataPointKindOf(array: string): DataPointKind | null {
  return Object.hasOwn(KIND_OF_ARRAY, array) ? KIND_OF_ARRAY[array] : null;
}

/**
 * Data points an object spends, by Braze's rules ("Data points" in the reference): each
 * attribute, and for a nested object each of its keys (at every depth) instead; each event
 * or purchase, and each of its properties. Identifiers, flags and subscription states are free.
 */
export function dataPointsOf(array: string, object: Readonly<Record<string, unknown>>): number {
  const kind = dataPointKindOf(array);
  if (kind === null) return 0;
  if (kind !== 'attribute') return 1 + (isPlainObject(object.properties) ? Object.keys(object.properties).length : 0);
  const free = new Set(identifierFieldsOf(object));
  let points = 0;
  for (const key of Object.keys(object)) {
    if (free.has(key) || FLAG_FIELDS.has(key) || SUBSCRIPTION_FIELDS.has(key)) continue;
    points += attributePoints(object[key]);
  }
  return points;
}

/** One attribute's data points: 1, or a nested object's keys at every depth (at least 1). */
export function attributePoints(value: unknown): number {
  if (!isPlainObject(value)) return 1;
  return Math.max(1, nestedKeys(value));
}

function nestedKeys(value: Record<string, unknown>): number {
  let keys = 0;
  for (const key of Object.keys(value)) keys += isPlainObject(value[key]) ? Math.max(1, nestedKeys(value[key] as Record<string, unknown>)) : 1;
  return keys;
}
