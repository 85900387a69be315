import { isJsonObject } from '../engine/json';

/**
 * Braze's request rules as the sandbox enforces them (shared/reference/braze-users-track.md):
 * whole-request problems are a 400; problems with single objects are "minor" errors in a 201.
 */
export interface MinorError {
  type: string;
  input_array: string;
  index: number;
}

export type Verdict = { ok: true; processed: Record<string, number>; errors: MinorError[] } | { ok: false; status: 400; message: string };

/** Every entry of a request's arrays, where it sits: body[array][index]. */
export function objectsOf(body: Record<string, unknown>): { array: string; index: number; object: unknown }[] {
  return Object.entries(body).flatMap(([array, list]) => (Array.isArray(list) ? list.map((object, index) => ({ array, index, object })) : []));
}

export const NO_VALID_DATA = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";

export interface SandboxLimits {
  trackArray: number;
  trackCombined: number | null;
  other: number;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const isTime = (v: unknown) => typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
const STANDARD = new Set(['external_id', 'user_alias', 'braze_id', 'email', 'phone', '_update_existing_only', 'first_name', 'last_name', 'home_city', 'dob', 'country', 'language', 'gender', 'time_zone', 'image_url', 'email_subscribe', 'push_subscribe', 'subscription_groups']);

function identifierProblem(o: Record<string, unknown>): string | null {
  const alias = o.user_alias;
  const hasAlias = isJsonObject(alias) && typeof alias.alias_name === 'string' && typeof alias.alias_label === 'string';
  const hasId = typeof o.external_id === 'string' || hasAlias || typeof o.braze_id === 'string' || typeof o.email === 'string' || typeof o.phone === 'string';
  if (!hasId) return 'Missing identifier: one of external_id, user_alias, braze_id, email or phone';
  if (o._update_existing_only !== undefined && typeof o._update_existing_only !== 'boolean') return '_update_existing_only must be a boolean';
  return null;
}

function keyProblem(key: string): string | null {
  if (key.length === 0 || key.length > 255) return `key "${key.slice(0, 40)}" must be 1 to 255 characters`;
  if (key.startsWith('$')) return `key "${key}" must not start with $`;
  return null;
}

function attributeProblem(o: Record<string, unknown>): string | null {
  if (o.dob !== undefined && o.dob !== null && (typeof o.dob !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(o.dob))) return 'dob must be YYYY-MM-DD';
  if (o.gender !== undefined && o.gender !== null && !['M', 'F', 'O', 'N', 'P'].includes(o.gender as string)) return 'gender must be M, F, O, N, P or null';
  for (const [key, value] of Object.entries(o)) {
    if (STANDARD.has(key)) continue;
    const problem = keyProblem(key);
    if (problem) return `Invalid custom attribute: ${problem}`;
    if (typeof value === 'string' && value.length > 255) return `Invalid custom attribute: "${key}" is longer than 255 characters`;
  }
  return null;
}

function eventProblem(o: Record<string, unknown>): string | null {
  if (typeof o.name !== 'string' || o.name === '') return 'Event name is required';
  if (!isTime(o.time)) return 'Event time must be an ISO-8601 string';
  if (o.properties !== undefined) {
    if (!isJsonObject(o.properties)) return 'Event properties must be an object';
    for (const key of Object.keys(o.properties)) {
      const problem = keyProblem(key) ?? (key === 'time' || key === 'event_name' ? `property "${key}" is reserved` : null);
      if (problem) return `Invalid event property: ${problem}`;
    }
  }
  return null;
}

function purchaseProblem(o: Record<string, unknown>): string | null {
  if (typeof o.product_id !== 'string' || o.product_id === '' || o.product_id.length > 255) return 'product_id must be a string of 1 to 255 characters';
  if (typeof o.currency !== 'string' || !/^[A-Z]{3}$/.test(o.currency)) return 'currency must be an ISO-4217 code';
  if (typeof o.price !== 'number' || !Number.isFinite(o.price)) return 'price must be a number';
  if (!isTime(o.time)) return 'Purchase time must be an ISO-8601 string';
  if (o.quantity !== undefined && (!Number.isInteger(o.quantity) || (o.quantity as number) < 1 || (o.quantity as number) > 100)) return 'quantity must be an integer from 1 to 100';
  return null;
}

const TRACK_CHECKS: Record<string, (o: Record<string, unknown>) => string | null> = { attributes: attributeProblem, events: eventProblem, purchases: purchaseProblem };

export function validateTrack(body: unknown, limits: SandboxLimits): Verdict {
  if (!isJsonObject(body)) return { ok: false, status: 400, message: NO_VALID_DATA };
  const arrays = Object.keys(TRACK_CHECKS).filter((k) => body[k] !== undefined);
  if (arrays.some((k) => !Array.isArray(body[k])) || arrays.every((k) => (body[k] as unknown[]).length === 0)) {
    return { ok: false, status: 400, message: NO_VALID_DATA };
  }
  const total = arrays.reduce((n, k) => n + (body[k] as unknown[]).length, 0);
  if (arrays.some((k) => (body[k] as unknown[]).length > limits.trackArray) || (limits.trackCombined !== null && total > limits.trackCombined)) {
    return { ok: false, status: 400, message: 'Max Input Length Exceeded' };
  }
  const processed: Record<string, number> = {};
  const errors: MinorError[] = [];
  for (const array of arrays) {
    (body[array] as unknown[]).forEach((o, index) => {
      const problem = !isJsonObject(o) ? 'object expected' : (identifierProblem(o) ?? TRACK_CHECKS[array](o));
      if (problem) errors.push({ type: problem, input_array: array, index });
    });
    processed[`${array}_processed`] = (body[array] as unknown[]).length - errors.filter((e) => e.input_array === array).length;
  }
  return { ok: true, processed, errors };
}

export function validateIdentify(body: unknown, limits: SandboxLimits): Verdict {
  const list = isJsonObject(body) ? body.aliases_to_identify : undefined;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, status: 400, message: "'aliases_to_identify' must be a non-empty array" };
  if (list.length > limits.other) return { ok: false, status: 400, message: 'Max Input Length Exceeded' };
  if (isJsonObject(body) && body.merge_behavior !== undefined && body.merge_behavior !== 'merge' && body.merge_behavior !== 'none') return { ok: false, status: 400, message: "merge_behavior must be 'merge' or 'none'" };
  const errors: MinorError[] = [];
  list.forEach((o, index) => {
    const ok = isJsonObject(o) && typeof o.external_id === 'string' && isJsonObject(o.user_alias) && typeof o.user_alias.alias_name === 'string' && typeof o.user_alias.alias_label === 'string';
    if (!ok) errors.push({ type: 'an entry needs external_id and user_alias {alias_name, alias_label}', input_array: 'aliases_to_identify', index });
  });
  return { ok: true, processed: { aliases_processed: list.length - errors.length }, errors };
}

export function validateAliasNew(body: unknown, limits: SandboxLimits): Verdict {
  const list = isJsonObject(body) ? body.user_aliases : undefined;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, status: 400, message: "'user_aliases' must be a non-empty array" };
  if (list.length > limits.other) return { ok: false, status: 400, message: 'Max Input Length Exceeded' };
  const errors: MinorError[] = [];
  list.forEach((o, index) => {
    const ok = isJsonObject(o) && typeof o.alias_name === 'string' && typeof o.alias_label === 'string' && (o.external_id === undefined || typeof o.external_id === 'string');
    if (!ok) errors.push({ type: 'an alias needs alias_name and alias_label', input_array: 'user_aliases', index });
  });
  return { ok: true, processed: { aliases_processed: list.length - errors.length }, errors };
}
