import { RememberedAttribute } from '../queue/ports/attribute-memory.port';
import { attributePoints } from './data-points';
import { FLAG_FIELDS, isOperatorValue, neverDroppedOf } from './attribute-rules';
import { identifierFieldsOf } from './identity-key';
import { fingerprintOf } from './value-fingerprint';

/** Why an attribute was left out: its value is the one Braze has, or its message is older than the one that set Braze's. */
export type LeftOutReason = 'unchanged' | 'stale';

export interface LeftOut {
  readonly key: string;
  readonly reason: LeftOutReason;
  /** The data points it would have spent. */
  readonly points: number;
}

/** What the mapping asked of an attributes object: send only what changed, except these keys. */
export interface ChangesPolicy {
  readonly alwaysSent: readonly string[];
}

export interface AttributeChanges {
  /** The object to send; null when nothing but identifiers and flags is left of it (it need not be sent at all). */
  readonly send: Readonly<Record<string, unknown>> | null;
  readonly leftOut: readonly LeftOut[];
  /** What to remember of the user once Braze has accepted `send`. */
  readonly remember: ReadonlyMap<string, RememberedAttribute>;
}

/**
 * Remembered for an attribute an operator changed (`inc`, `add`, `$update`, …): Braze's value
 * is no longer known here, and this matches no value's fingerprint (those are base64url), so
 * the next plain value is sent whatever it is.
 */
export const CHANGED_BY_OPERATOR = '!operator';

/**
 * An attributes object without what Braze already has: an attribute whose value equals the
 * remembered one (deep equality, key order ignored) is left out as `unchanged`; another value
 * whose message is older than the message that set the remembered one is left out as `stale`
 * (a late batch, a replay: an old value must not overwrite a newer one). Never left out:
 * identifiers, flags, the policy's always-sent keys and operator values. A `null` (unset) is
 * compared like any value: a change after a value, unchanged after a `null`. Nothing
 * remembered, nothing left out.
 */
export function changesOf(
  object: Readonly<Record<string, unknown>>,
  policy: ChangesPolicy,
  remembered: ReadonlyMap<string, RememberedAttribute> | undefined,
  eventTime: number | null,
): AttributeChanges {
  const kept = neverDroppedOf(object, policy.alwaysSent);
  const send: Record<string, unknown> = {};
  const leftOut: LeftOut[] = [];
  const remember = new Map<string, RememberedAttribute>();
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (isNotState(key, object)) {
      send[key] = value;
      continue;
    }
    if (isOperatorValue(value)) {
      send[key] = value;
      remember.set(key, { fingerprint: CHANGED_BY_OPERATOR, eventTime });
      continue;
    }
    const fingerprint = fingerprintOf(value);
    const before = remembered?.get(key);
    const reason = kept.has(key) || before === undefined ? null : leftOutWhy(before, fingerprint, eventTime);
    if (reason !== null) {
      leftOut.push({ key, reason, points: attributePoints(value) });
      continue;
    }
    send[key] = value;
    remember.set(key, { fingerprint, eventTime });
  }
  const onlyIdentifiers = leftOut.length > 0 && Object.keys(send).every((key) => isNotState(key, object));
  return { send: onlyIdentifiers ? null : send, leftOut, remember };
}

/** Identifiers and flags: who the object is about and how Braze applies it, not the user's state. */
function isNotState(key: string, object: Readonly<Record<string, unknown>>): boolean {
  return FLAG_FIELDS.has(key) || identifierFieldsOf(object).includes(key);
}

function leftOutWhy(before: RememberedAttribute, fingerprint: string, eventTime: number | null): LeftOutReason | null {
  // An old message with the value Braze has is simply unchanged; `stale` counts the old values kept from overwriting newer ones.
  if (before.fingerprint === fingerprint) return 'unchanged';
  return eventTime !== null && before.eventTime !== null && eventTime < before.eventTime ? 'stale' : null;
}
