/**
 * The floor: the default mapping (mappings/braze.yaml) written by hand in TypeScript, with
 * the same semantics — requests, warnings and errors. The benchmark checks that it produces
 * output identical to the compiled mapping on the whole corpus before it times anything.
 */
import { BrazeRequest, MapResult, MapWarning } from '../src/engine';
import { TRANSFORMS, TRANSFORM_FAILED } from '../src/engine/transforms';

type Json = Record<string, unknown>;
const { date, iso8601, gender, number, integer, trim } = TRANSFORMS;
const LABEL = 'segment_anonymous_id';

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}
function own(o: unknown, key: string): unknown {
  return o !== null && typeof o === 'object' && Object.hasOwn(o, key) ? (o as Json)[key] : undefined;
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}
function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

class Fail {
  constructor(readonly code: 'NO_IDENTITY' | 'REQUIRED_VALUE_MISSING' | 'TEMPLATE_KEY_UNRESOLVED', readonly message: string) {}
}

function identity(m: Json): Json {
  const id = nonEmpty(m.userId === undefined || m.userId === null ? m.userId : str(m.userId));
  if (id !== undefined) return { external_id: id };
  const anon = nonEmpty(m.anonymousId === undefined || m.anonymousId === null ? m.anonymousId : str(m.anonymousId));
  if (anon !== undefined) return { user_alias: { alias_name: anon, alias_label: LABEL }, _update_existing_only: false };
  throw new Fail('NO_IDENTITY', 'the message names no user: it needs a userId or an anonymousId');
}

function transformed(value: unknown, transform: (typeof TRANSFORMS)[string], describe: string, warnings: MapWarning[]): unknown {
  if (value === undefined || value === null) return value;
  const out = transform.apply(value);
  if (out !== TRANSFORM_FAILED) return out;
  warnings.push({ code: 'TRANSFORM_FAILED', message: `${describe}: ${transform.name} cannot use ${JSON.stringify(value).slice(0, 40)}` });
  return undefined;
}

/** A chain of transforms, as a value expression with `transform: [a, b]` runs it. */
function chain(value: unknown, transforms: (typeof TRANSFORMS)[string][], describe: string, warnings: MapWarning[]): unknown {
  let v = value;
  for (const t of transforms) {
    if (v === undefined || v === null) return v;
    const out = t.apply(v);
    if (out === TRANSFORM_FAILED) {
      warnings.push({ code: 'TRANSFORM_FAILED', message: `${describe}: ${t.name} cannot use ${JSON.stringify(v).slice(0, 40)}` });
      return undefined;
    }
    v = out;
  }
  return v;
}

function firstOf(values: unknown[]): unknown {
  let sawNull = false;
  for (const v of values) {
    if (v === null) sawNull = true;
    else if (v !== undefined) return v;
  }
  return sawNull ? null : undefined;
}

function messageTime(m: Json, describe: string, warnings: MapWarning[]): unknown {
  return transformed(firstOf([m.timestamp, m.originalTimestamp, m.receivedAt]), iso8601, describe, warnings);
}

/** `{rest: properties}`: an object's members, less `$` keys (reported). */
function restOf(value: unknown, path: string, skip: (k: string) => boolean, warnings: MapWarning[]): Json | undefined {
  const o = obj(value);
  if (!o) return undefined;
  let out: Json | undefined;
  for (const k of Object.keys(o)) {
    if (skip(k)) continue;
    if (k.startsWith('$') || k === '__proto__') {
      warnings.push({ code: 'REST_KEY_SKIPPED', message: `${path}.${k}: ${k === '__proto__' ? 'a "__proto__" key cannot be copied' : 'Braze refuses keys that start with "$"'}` });
      continue;
    }
    (out ??= {})[k] = o[k];
  }
  return out;
}

function identifyTraits(m: Json, warnings: MapWarning[]): Json {
  const o: Json = Object.assign({}, identity(m)); // not a spread: see src/engine/output.ts
  const traits = obj(m.traits);
  const t = (k: string) => own(traits, k);
  const first = (a: string, b: string) => {
    const x = t(a);
    if (x !== undefined && x !== null) return x;
    const y = t(b);
    if (y !== undefined && y !== null) return y;
    return x === null || y === null ? null : undefined;
  };
  const set = (k: string, v: unknown) => v !== undefined && (o[k] = v);
  set('first_name', first('firstName', 'first_name'));
  set('last_name', first('lastName', 'last_name'));
  set('dob', transformed(t('birthday'), date, 'traits.birthday', warnings));
  set('image_url', t('avatar'));
  const address = t('address');
  set('home_city', own(address, 'city'));
  set('country', own(address, 'country'));
  set('gender', transformed(t('gender'), gender, 'traits.gender', warnings));
  set('email', t('email'));
  set('phone', t('phone'));
  if (traits) {
    for (const key of Object.keys(traits)) {
      if (key === 'firstName' || key === 'first_name' || key === 'lastName' || key === 'last_name' || key === 'birthday' || key === 'avatar' || key === 'gender' || key === 'email' || key === 'phone') continue;
      let value = traits[key];
      if (key === 'address' && obj(value)) {
        let rest: Json | undefined;
        for (const k of Object.keys(value as Json)) if (k !== 'city' && k !== 'country') (rest ??= {})[k] = (value as Json)[k];
        if (rest === undefined) continue;
        value = rest;
      }
      if (key.startsWith('$') || key === '__proto__') {
        warnings.push({ code: 'REST_KEY_SKIPPED', message: `traits.${key}: ${key === '__proto__' ? 'a "__proto__" key cannot be copied' : 'Braze refuses keys that start with "$"'}` });
        continue;
      }
      if (key === 'external_id' || key === 'user_alias' || key === 'braze_id' || key === '_update_existing_only') {
        warnings.push({ code: 'REST_KEY_SKIPPED', message: `traits.${key}: "${key}" names the user, so only the identity settings may set it` });
        continue;
      }
      if (Object.hasOwn(o, key)) {
        warnings.push({ code: 'REST_KEY_SKIPPED', message: `traits.${key}: "${key}" is already set by a named field or the user's identifiers` });
        continue;
      }
      o[key] = value;
    }
  }
  return o;
}

function merge(m: Json, previous: unknown, rule: string): Json {
  const external = m.userId === undefined || m.userId === null ? undefined : str(m.userId);
  const alias = previous === undefined || previous === null ? undefined : str(previous);
  if (external === undefined) throw new Fail('REQUIRED_VALUE_MISSING', `rule "${rule}" identify: "external_id" needs userId, which is missing or unusable`);
  if (alias === undefined) {
    const source = rule === 'alias-to-identify' ? 'previousId' : 'anonymousId';
    throw new Fail('REQUIRED_VALUE_MISSING', `rule "${rule}" identify: "alias_name" needs ${source}, which is missing or unusable`);
  }
  const entry: Json = {};
  if (external !== undefined) entry.external_id = external;
  if (alias !== undefined) entry.user_alias = { alias_name: alias, alias_label: LABEL };
  return entry;
}

function purchases(m: Json, id: Json, warnings: MapWarning[]): Json[] {
  const properties = obj(m.properties);
  const products = own(properties, 'products');
  if (!Array.isArray(products) || products.length === 0) {
    warnings.push({ code: 'EACH_EMPTY', message: `properties.products is ${Array.isArray(products) ? 'empty' : 'missing'}: no purchases were emitted` });
    return [];
  }
  const out: Json[] = [];
  for (let i = 0; i < products.length; i++) {
    const p = products[i];
    const label = `properties.products[${i}]`;
    const w = (d: string) => `${label} (${d})`;
    const idChain = [TRANSFORMS.string, trim, TRANSFORMS.nonempty];
    const productId = firstOf([
      chain(own(p, 'product_id'), idChain, w('$item.product_id'), warnings),
      chain(own(p, 'id'), idChain, w('$item.id'), warnings),
      chain(own(p, 'sku'), idChain, w('$item.sku'), warnings),
    ]);
    let currency = firstOf([chain(own(p, 'currency'), [TRANSFORMS.currency], w('$item.currency'), warnings), chain(own(properties, 'currency'), [TRANSFORMS.currency], w('properties.currency'), warnings)]);
    if (currency === undefined || currency === null) currency = 'USD';
    const price = transformed(own(p, 'price'), number, w('$item.price'), warnings);
    let quantity = transformed(own(p, 'quantity'), integer, w('$item.quantity'), warnings);
    if (quantity === undefined || quantity === null) quantity = 1;
    const time = messageTime(m, w('timestamp | originalTimestamp | receivedAt'), warnings);
    const missing =
      productId === undefined || productId === null
        ? ['product_id', '{"path":"$item.product_id","transform":["string","trim","nonempty"]} | {"path":"$item.id","transform":["string","trim","nonempty"]} | {"path":"$item.sku","transform":["string","trim","nonempty"]}']
        : price === undefined || price === null
          ? ['price', '$item.price']
          : time === undefined || time === null
            ? ['time', 'timestamp | originalTimestamp | receivedAt']
            : null;
    if (missing) {
      warnings.push({ code: 'ITEM_SKIPPED', message: `${label}: "${missing[0]}" needs ${missing[1]}, which is missing or unusable` });
      continue;
    }
    const purchase: Json = Object.assign({}, id, { product_id: productId, currency, price, quantity, time });
    const rest = restOf(p, '$item', (k) => k === 'product_id' || k === 'id' || k === 'sku' || k === 'currency' || k === 'price' || k === 'quantity', warnings);
    if (rest) purchase.properties = rest;
    out.push(purchase);
  }
  return out;
}

function event(m: Json, id: Json, name: unknown, rule: string, warnings: MapWarning[], describe = 'event'): Json {
  if (name === undefined || name === null) throw new Fail('REQUIRED_VALUE_MISSING', `rule "${rule}" events: "name" needs ${describe}, which is missing or unusable`);
  const time = messageTime(m, 'timestamp | originalTimestamp | receivedAt', warnings);
  if (time === undefined || time === null) throw new Fail('REQUIRED_VALUE_MISSING', `rule "${rule}" events: "time" needs timestamp | originalTimestamp | receivedAt, which is missing or unusable`);
  const e: Json = Object.assign({}, id, { name, time });
  const properties = restOf(m.properties, 'properties', () => false, warnings);
  if (properties) e.properties = properties;
  return e;
}

/** At most 75 objects per request across the arrays together, as Braze's current limit says. */
function chunked(endpoint: BrazeRequest['endpoint'], arrays: [string, Json[]][], out: BrazeRequest[]): void {
  let body: Json = {};
  let room = 75;
  for (const [name, a] of arrays) {
    for (let from = 0; from < a.length; ) {
      const take = Math.min(room, a.length - from);
      body[name] = take === a.length ? a : a.slice(from, from + take);
      from += take;
      room -= take;
      if (room === 0) {
        out.push({ endpoint, body });
        body = {};
        room = 75;
      }
    }
  }
  if (room < 75) out.push({ endpoint, body });
}

function viewName(m: Json, suffix: string): string {
  const name = m.name;
  const usable = (typeof name === 'string' && name !== '') || typeof name === 'number' || typeof name === 'boolean';
  return usable ? `Viewed ${String(name)} ${suffix}` : `Loaded a ${suffix}`;
}

export function mapHandwritten(message: unknown): MapResult {
  const warnings: MapWarning[] = [];
  const m = obj(message);
  if (!m || typeof m.type !== 'string') return { ok: false, error: { code: 'INVALID_MESSAGE', message: 'a message is a JSON object with a string "type"' }, warnings };
  const requests: BrazeRequest[] = [];
  try {
    switch (m.type) {
      case 'identify': {
        const known = typeof m.userId === 'string' ? m.userId !== '' : m.userId !== undefined && m.userId !== null && m.userId !== 0 && m.userId !== false;
        const anon = typeof m.anonymousId === 'string' ? m.anonymousId !== '' : m.anonymousId !== undefined && m.anonymousId !== null && m.anonymousId !== 0 && m.anonymousId !== false;
        if (known && anon) {
          const entry = merge(m, m.anonymousId, 'merge-anonymous-profile');
          requests.push({ endpoint: '/users/identify', body: { aliases_to_identify: [entry], merge_behavior: 'merge' } });
        }
        chunked('/users/track', [['attributes', [identifyTraits(m, warnings)]]], requests);
        break;
      }
      case 'alias':
        requests.push({ endpoint: '/users/identify', body: { aliases_to_identify: [merge(m, m.previousId, 'alias-to-identify')], merge_behavior: 'merge' } });
        break;
      case 'track': {
        const id = identity(m);
        if (m.event === 'Completed Order' || m.event === 'Order Completed') chunked('/users/track', [['purchases', purchases(m, id, warnings)]], requests);
        else {
          const name = chain(m.event, [TRANSFORMS.string, TRANSFORMS.nonempty], 'event', warnings);
          chunked('/users/track', [['events', [event(m, id, name, 'track-event', warnings)]]], requests);
        }
        break;
      }
      case 'group': {
        const id = identity(m);
        const g = m.groupId;
        const key = (typeof g === 'string' && g !== '') || typeof g === 'number' || typeof g === 'boolean' ? `ab_segment_group_${String(g)}` : undefined;
        if (key === undefined) throw new Fail('TEMPLATE_KEY_UNRESOLVED', 'rule "group-membership" attributes: key "ab_segment_group_{{groupId}}" needs groupId, which the message lacks or leaves empty');
        chunked('/users/track', [['attributes', [Object.assign({}, id, { [key]: true })]]], requests);
        break;
      }
      case 'page':
      case 'screen': {
        const id = identity(m);
        const rule = m.type === 'page' ? 'page-view' : 'screen-view';
        const suffix = m.type === 'page' ? 'Page' : 'Screen';
        chunked('/users/track', [['events', [event(m, id, viewName(m, suffix), rule, warnings)]]], requests);
        break;
      }
      default:
        return { ok: false, error: { code: 'NO_MATCHING_RULE', message: `no rule applies to this ${m.type} message` }, warnings };
    }
  } catch (failure) {
    if (failure instanceof Fail) return { ok: false, error: { code: failure.code, message: failure.message }, warnings };
    throw failure;
  }
  return { ok: true, requests, warnings };
}
