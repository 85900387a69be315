import { changesOf, CHANGED_BY_OPERATOR } from '../../src/delivery/attribute-changes';
import { dataPointsOf } from '../../src/delivery/data-points';
import { aliasKey, identityKeyOf } from '../../src/delivery/identity-key';
import { canonicalJson, fingerprintOf } from '../../src/delivery/value-fingerprint';
import { RememberedAttribute } from '../../src/queue/ports/attribute-memory.port';

const ALL = { alwaysSent: [] };
const T = Date.UTC(2026, 0, 1);

/** What a user's memory holds after Braze accepted `values` from a message at `eventTime`. */
const memoryOf = (values: Record<string, unknown>, eventTime: number | null = T): Map<string, RememberedAttribute> =>
  new Map(Object.entries(values).map(([key, value]) => [key, { fingerprint: fingerprintOf(value), eventTime }]));

describe('fingerprintOf', () => {
  it('is the same for deeply equal values whatever their key order, and differs for any change', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(fingerprintOf({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
    expect(fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).not.toBe(fingerprintOf({ a: 1, b: { c: [{ d: 2, e: 3 }, 1] } }));
    expect(fingerprintOf('1')).not.toBe(fingerprintOf(1));
    expect(fingerprintOf(null)).not.toBe(fingerprintOf('null'));
    expect(fingerprintOf([])).not.toBe(fingerprintOf({}));
  });

  it('is 12 base64url characters', () => {
    expect(fingerprintOf({ any: 'value' })).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('writes canonical JSON: keys sorted at every depth, undefined members left out as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [undefined, 'x'] } })).toBe('{"a":{"c":[null,"x"]},"b":1}');
  });
});

describe('identityKeyOf', () => {
  it.each([
    [{ external_id: 'u1', user_alias: { alias_name: 'a', alias_label: 'l' }, email: 'e@x.io' }, 'external_id:u1'],
    [{ braze_id: 'b1', email: 'e@x.io' }, 'braze_id:b1'],
    [{ user_alias: { alias_name: 'anon-1', alias_label: 'segment_anonymous_id' }, _update_existing_only: false }, 'user_alias:anon-1:segment_anonymous_id'],
    [{ email: 'e@x.io', first_name: 'A' }, 'email:e@x.io'],
    [{ phone: '+15551234567' }, 'phone:+15551234567'],
    [{ first_name: 'nobody' }, null],
    [{ external_id: '' }, null],
  ])('%j → %s', (object, key) => {
    expect(identityKeyOf(object)).toBe(key);
  });

  it('no two aliases share a key, whatever colons their parts hold', () => {
    expect(aliasKey('a:b', 'c')).not.toBe(aliasKey('a', 'b:c'));
    expect(aliasKey('a%3Ab', 'c')).not.toBe(aliasKey('a:b', 'c'));
    expect(identityKeyOf({ user_alias: { alias_name: 'a:b', alias_label: 'c' } })).toBe(aliasKey('a:b', 'c'));
  });
});

describe('changesOf: an attributes object without what Braze already has', () => {
  it('with nothing remembered sends everything and remembers every value', () => {
    const object = { external_id: 'u1', email: 'a@x.io', plan: 'pro' };
    const changes = changesOf(object, ALL, undefined, T);
    expect(changes.send).toEqual(object);
    expect(changes.leftOut).toEqual([]);
    expect(changes.remember).toEqual(memoryOf({ email: 'a@x.io', plan: 'pro' }));
  });

  it('leaves out what is unchanged and sends what changed, keeping the identifiers', () => {
    const changes = changesOf({ external_id: 'u1', email: 'a@x.io', plan: 'team' }, ALL, memoryOf({ email: 'a@x.io', plan: 'pro' }), T + 1);
    expect(changes.send).toEqual({ external_id: 'u1', plan: 'team' });
    expect(changes.leftOut).toEqual([{ key: 'email', reason: 'unchanged', points: 1 }]);
    expect([...changes.remember.keys()]).toEqual(['plan']);
  });

  it('compares nested objects and arrays deeply, key order ignored, array order not', () => {
    const remembered = memoryOf({ address: { city: 'Paris', zip: '75001' }, tags: ['a', 'b'] });
    const same = changesOf({ external_id: 'u1', address: { zip: '75001', city: 'Paris' }, tags: ['a', 'b'] }, ALL, remembered, T);
    expect(same.send).toBeNull();
    expect(same.leftOut).toEqual([{ key: 'address', reason: 'unchanged', points: 2 }, { key: 'tags', reason: 'unchanged', points: 1 }]);
    const reordered = changesOf({ external_id: 'u1', tags: ['b', 'a'] }, ALL, remembered, T);
    expect(reordered.send).toEqual({ external_id: 'u1', tags: ['b', 'a'] });
  });

  it('null is a change after a value and unchanged after a null', () => {
    expect(changesOf({ external_id: 'u1', plan: null }, ALL, memoryOf({ plan: 'pro' }), T).send).toEqual({ external_id: 'u1', plan: null });
    expect(changesOf({ external_id: 'u1', plan: null }, ALL, memoryOf({ plan: null }), T).leftOut).toEqual([{ key: 'plan', reason: 'unchanged', points: 1 }]);
    expect(changesOf({ external_id: 'u1', plan: 'pro' }, ALL, memoryOf({ plan: null }), T).send).toEqual({ external_id: 'u1', plan: 'pro' });
  });

  it('never leaves out operators, and what an operator changed is sent again as a plain value', () => {
    const ops = { external_id: 'u1', visits: { inc: 1 }, tags: { add: ['x'] }, pets: { $add: [{ id: 1 }] }, cars: { $update: [{ $identifier_key: 'id', $identifier_value: 1, $new_object: {} }] }, _merge_objects: true };
    const remembered = memoryOf({ visits: { inc: 1 }, tags: { add: ['x'] }, pets: { $add: [{ id: 1 }] }, cars: 1 });
    const changes = changesOf(ops, ALL, remembered, T);
    expect(changes.send).toEqual(ops);
    expect(changes.leftOut).toEqual([]);
    expect(changes.remember.get('visits')).toEqual({ fingerprint: CHANGED_BY_OPERATOR, eventTime: T });
    expect(changesOf({ external_id: 'u1', visits: 3 }, ALL, changes.remember, T).send).toEqual({ external_id: 'u1', visits: 3 });
  });

  it('never leaves out identifiers, flags or the always-sent keys, and an object left with identifiers and flags only is not sent', () => {
    const alias = { user_alias: { alias_name: 'anon', alias_label: 'segment_anonymous_id' }, _update_existing_only: false, plan: 'pro', country: 'FR' };
    const remembered = memoryOf({ plan: 'pro', country: 'FR' });
    expect(changesOf(alias, ALL, remembered, T).send).toBeNull();
    expect(changesOf(alias, { alwaysSent: ['country'] }, remembered, T).send).toEqual({ user_alias: alias.user_alias, _update_existing_only: false, country: 'FR' });
  });

  it('an object of identifiers only (an alias made, no traits) is sent: nothing was left out of it', () => {
    const object = { user_alias: { alias_name: 'anon', alias_label: 'l' }, _update_existing_only: false };
    expect(changesOf(object, ALL, memoryOf({ plan: 'pro' }), T).send).toEqual(object);
  });

  it('an email that names the user (no other identifier) is never left out; beside an external_id it is an attribute', () => {
    expect(changesOf({ email: 'a@x.io', plan: 'pro' }, ALL, memoryOf({ email: 'a@x.io', plan: 'pro' }), T).send).toBeNull();
    expect(changesOf({ email: 'a@x.io', plan: 'team' }, ALL, memoryOf({ email: 'a@x.io', plan: 'pro' }), T).send).toEqual({ email: 'a@x.io', plan: 'team' });
    expect(changesOf({ external_id: 'u1', email: 'a@x.io' }, ALL, memoryOf({ email: 'a@x.io' }), T).leftOut).toEqual([{ key: 'email', reason: 'unchanged', points: 1 }]);
  });

  it('the stale guard: another value older than the one Braze accepted is left out as stale (the same value is unchanged); newer or timeless ones are compared', () => {
    const remembered = memoryOf({ email: 'new@x.io' }, T);
    expect(changesOf({ external_id: 'u1', email: 'old@x.io', plan: 'pro' }, ALL, remembered, T - 1)).toMatchObject({ send: { external_id: 'u1', plan: 'pro' }, leftOut: [{ key: 'email', reason: 'stale' }] });
    expect(changesOf({ external_id: 'u1', email: 'new@x.io' }, ALL, remembered, T - 1).leftOut).toEqual([{ key: 'email', reason: 'unchanged', points: 1 }]);
    expect(changesOf({ external_id: 'u1', email: 'newer@x.io' }, ALL, remembered, T + 1).send).toEqual({ external_id: 'u1', email: 'newer@x.io' });
    expect(changesOf({ external_id: 'u1', email: 'other@x.io' }, ALL, remembered, null).send).toEqual({ external_id: 'u1', email: 'other@x.io' });
    expect(changesOf({ external_id: 'u1', email: 'other@x.io' }, ALL, memoryOf({ email: 'new@x.io' }, null), T - 1).send).toEqual({ external_id: 'u1', email: 'other@x.io' });
  });
});

describe('dataPointsOf: by Braze rules', () => {
  it('counts each attribute, each key of a nested object at every depth, and nothing for identifiers, flags and subscription states', () => {
    const object = { external_id: 'u1', _update_existing_only: false, email_subscribe: 'opted_in', subscription_groups: [], first_name: 'A', tags: ['a', 'b'], address: { city: 'P', geo: { lat: 1, lon: 2 } }, empty: {} };
    expect(dataPointsOf('attributes', object)).toBe(1 + 1 + 3 + 1);
  });

  it('counts each event and purchase and each of its properties; other arrays are free', () => {
    expect(dataPointsOf('events', { external_id: 'u1', name: 'Played', time: 'x', properties: { a: 1, b: { c: 2 } } })).toBe(3);
    expect(dataPointsOf('purchases', { external_id: 'u1', product_id: 'p', currency: 'USD', price: 1, time: 'x' })).toBe(1);
    expect(dataPointsOf('aliases_to_identify', { external_id: 'u1' })).toBe(0);
  });
});
