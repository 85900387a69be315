import { attributesRule, firstObject, mapMessage, planOf } from '../helpers/engine';

const user = { type: 'identify', userId: 'u1' };

function attributes(fields: string, message: Record<string, unknown>, extra = '') {
  return firstObject(mapMessage(planOf(attributesRule(fields, extra)), { ...user, ...message }), 'attributes');
}

describe('value sources', () => {
  it('path reads nested values and leaves absent ones out', () => {
    expect(attributes('{ city: traits.address.city, zip: traits.address.zip }', { traits: { address: { city: 'Oslo' } } })).toEqual({ external_id: 'u1', city: 'Oslo' });
  });

  it('path keeps an explicit null so Braze unsets the attribute', () => {
    expect(attributes('{ email: traits.email }', { traits: { email: null } })).toEqual({ external_id: 'u1', email: null });
  });

  it('const emits JSON values, frozen so no message can change them', () => {
    const plan = planOf(attributesRule('{ flags: { const: { a: [1, 2] } } }'));
    const object = firstObject(mapMessage(plan, user), 'attributes');
    expect(object.flags).toEqual({ a: [1, 2] });
    expect(Object.isFrozen(object.flags)).toBe(true);
  });

  it('template fills placeholders and is absent when one is missing or empty', () => {
    const fields = '{ label: { template: "{{traits.first}} #{{traits.n}}" } }';
    expect(attributes(fields, { traits: { first: 'Ada', n: 3 } }).label).toBe('Ada #3');
    expect(attributes(fields, { traits: { first: 'Ada' } })).not.toHaveProperty('label');
    expect(attributes(fields, { traits: { first: '', n: 1 } })).not.toHaveProperty('label');
    expect(attributes(fields, { traits: { first: { x: 1 }, n: 1 } })).not.toHaveProperty('label');
  });

  it('first takes the first present non-null value, and null only when nothing better exists', () => {
    const fields = '{ id: { first: [traits.a, traits.b, { const: fallback }] }, n: { first: [traits.x, traits.y] } }';
    expect(attributes(fields, { traits: { a: null, b: 'B', x: null } })).toEqual({ external_id: 'u1', id: 'B', n: null });
    expect(attributes(fields, { traits: {} })).toEqual({ external_id: 'u1', id: 'fallback' });
  });

  it('object builds nested objects, absent when every field is', () => {
    const fields = '{ who: { object: { name: traits.name, "key_{{traits.k}}": { const: 1 } } } }';
    expect(attributes(fields, { traits: { name: 'Ada', k: 'z' } }).who).toEqual({ name: 'Ada', key_z: 1 });
    const result = mapMessage(planOf(attributesRule('{ who: { object: { name: traits.name } } }')), { ...user, traits: {} });
    expect(firstObject(result, 'attributes')).not.toHaveProperty('who');
  });

  it('templated keys fail the message when their value is missing', () => {
    const result = mapMessage(planOf(attributesRule('{ "group_{{groupId}}": { const: true } }')), user);
    expect(result).toMatchObject({ ok: false, error: { code: 'TEMPLATE_KEY_UNRESOLVED' } });
    if (!result.ok) expect(result.error.message).toContain('groupId');
  });
});

describe('modifiers', () => {
  it('transform chains run in order', () => {
    expect(attributes('{ c: { path: traits.c, transform: [trim, uppercase] } }', { traits: { c: ' eur ' } }).c).toBe('EUR');
  });

  it('a failed transform leaves the field out and warns', () => {
    const result = mapMessage(planOf(attributesRule('{ n: { path: traits.n, transform: number } }')), { ...user, traits: { n: 'abc' } });
    expect(firstObject(result, 'attributes')).not.toHaveProperty('n');
    expect(result.warnings).toEqual([{ code: 'TRANSFORM_FAILED', message: expect.stringContaining('"abc"') }]);
  });

  it('default replaces absent, null and unusable values, untransformed', () => {
    const fields = '{ q: { path: traits.q, transform: integer, default: 1 } }';
    expect(attributes(fields, { traits: {} }).q).toBe(1);
    expect(attributes(fields, { traits: { q: null } }).q).toBe(1);
    expect(attributes(fields, { traits: { q: 'x' } }).q).toBe(1);
    expect(attributes(fields, { traits: { q: '4' } }).q).toBe(4);
  });

  it('nulls pass transforms untouched', () => {
    expect(attributes('{ dob: { path: traits.b, transform: date } }', { traits: { b: null } })).toEqual({ external_id: 'u1', dob: null });
  });

  it('required fails the message with the field and its source named', () => {
    const result = mapMessage(planOf(attributesRule('{ e: { path: traits.e, required: true } }')), user);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('REQUIRED_VALUE_MISSING');
      expect(result.error.message).toContain('traits.e');
      expect(result.error.message).toContain('rule "r"');
    }
  });
});

describe('rest', () => {
  it('copies unread members, keeping the unread part of a partly read object', () => {
    const object = attributes('{ city: traits.address.city }', { traits: { address: { city: 'Oslo', street: 'X' }, plan: 'pro', nested: { a: 1 } } }, '      rest: traits\n');
    expect(object).toEqual({ external_id: 'u1', city: 'Oslo', address: { street: 'X' }, plan: 'pro', nested: { a: 1 } });
  });

  it('drops an object that named fields read completely', () => {
    const object = attributes('{ city: traits.address.city }', { traits: { address: { city: 'Oslo' } } }, '      rest: traits\n');
    expect(object).toEqual({ external_id: 'u1', city: 'Oslo' });
  });

  it('leaves out keys listed in except, and says why it skips others', () => {
    const plan = planOf(attributesRule('{ email: traits.email }', '      rest: { from: traits, except: [password, deep.secret] }\n'));
    const result = mapMessage(plan, { ...user, traits: { password: 'x', deep: { secret: 1, ok: 2 }, $bad: 1, external_id: 'spoof', email: 'e' } });
    expect(firstObject(result, 'attributes')).toEqual({ external_id: 'u1', email: 'e', deep: { ok: 2 } });
    expect(result.warnings.map((w) => w.code)).toEqual(['REST_KEY_SKIPPED', 'REST_KEY_SKIPPED']);
    expect(result.warnings.map((w) => w.message).join(' ')).toMatch(/\$bad.*external_id/);
  });

  it('as a value, gives the unread members of the current item', () => {
    const yaml = `version: 1\nrules:\n  - name: r\n    purchases:\n      each: properties.products\n      fields:\n        product_id: $item.id\n        properties: { rest: $item }\n`;
    const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', properties: { products: [{ id: 'a', color: 'red' }, { id: 'b' }] } });
    expect(result.ok && result.requests[0].body.purchases).toEqual([
      { external_id: 'u', product_id: 'a', properties: { color: 'red' } },
      { external_id: 'u', product_id: 'b' },
    ]);
  });
});

describe('each', () => {
  const yaml = `version: 1\nrules:\n  - name: r\n    purchases:\n      each: properties.products\n      fields:\n        product_id: { path: $item.id, required: true }\n        price: { path: $item.price, transform: number, required: true }\n        currency: { first: [$item.currency, properties.currency], default: USD }\n`;

  it('emits one object per element and reads the message beside the item', () => {
    const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', properties: { currency: 'EUR', products: [{ id: 'a', price: 1 }, { id: 'b', price: '2', currency: 'GBP' }] } });
    expect(result.ok && result.requests[0].body.purchases).toEqual([
      { external_id: 'u', product_id: 'a', price: 1, currency: 'EUR' },
      { external_id: 'u', product_id: 'b', price: 2, currency: 'GBP' },
    ]);
  });

  it('skips an element without a required value, by index, and keeps the others', () => {
    const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', properties: { products: [{ price: 1 }, { id: 'b', price: 2 }] } });
    expect(result.ok && result.requests[0].body.purchases).toEqual([{ external_id: 'u', product_id: 'b', price: 2, currency: 'USD' }]);
    expect(result.warnings).toEqual([{ code: 'ITEM_SKIPPED', message: expect.stringContaining('properties.products[0]') }]);
  });

  it('warns when the array is missing or empty', () => {
    for (const properties of [{}, { products: [] }, { products: 'x' }]) {
      const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', properties });
      expect(result).toMatchObject({ ok: true, requests: [], warnings: [{ code: 'EACH_EMPTY' }] });
    }
  });

  it('splits more than 75 objects into several /users/track requests', () => {
    const products = Array.from({ length: 160 }, (_, i) => ({ id: `p${i}`, price: i }));
    const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', properties: { products } });
    expect(result.ok && result.requests.map((r) => (r.body.purchases as unknown[]).length)).toEqual([75, 75, 10]);
    expect(result.ok && result.requests.flatMap((r) => (r.body.purchases as { product_id: string }[]).map((p) => p.product_id))).toEqual(products.map((p) => p.id));
  });

  it('counts the three /users/track arrays together against the 75-object limit, in attributes, events, purchases order', () => {
    const both = `version: 1
rules:
  - name: order
    purchases:
      each: properties.products
      fields:
        product_id: $item.id
        price: $item.price
    events:
      fields:
        name: { const: Order }
`;
    const products = Array.from({ length: 100 }, (_, i) => ({ id: `p${i}`, price: i }));
    const result = mapMessage(planOf(both), { type: 'track', userId: 'u', properties: { products } });
    const shape = result.ok && result.requests.map((r) => Object.fromEntries(Object.entries(r.body).map(([k, v]) => [k, (v as unknown[]).length])));
    expect(shape).toEqual([{ events: 1, purchases: 74 }, { purchases: 26 }]);
    expect(result.ok && Object.keys(result.requests[0].body)).toEqual(['events', 'purchases']);
  });
});

describe('rules', () => {
  const yaml = `version: 1
rules:
  - name: special
    when: { "==": [{ var: event }, Special] }
    stop: true
    events: { fields: { name: { const: special } } }
  - name: any-track
    when: { "==": [{ var: type }, track] }
    events: { fields: { name: event } }
  - name: also-attributes
    when: { "==": [{ var: type }, track] }
    attributes: { fields: { last_event: event } }
`;

  it('every matching rule emits, in order, and stop ends the search', () => {
    const plan = planOf(yaml);
    expect(mapMessage(plan, { type: 'track', userId: 'u', event: 'Other' })).toMatchObject({
      ok: true,
      requests: [{ endpoint: '/users/track', body: { attributes: [{ last_event: 'Other' }], events: [{ name: 'Other' }] } }],
    });
    expect(mapMessage(plan, { type: 'track', userId: 'u', event: 'Special' })).toMatchObject({
      ok: true,
      requests: [{ endpoint: '/users/track', body: { events: [{ name: 'special' }] } }],
    });
  });

  it('a message no rule matches is an error, as is one that is not a message', () => {
    const plan = planOf(yaml);
    expect(mapMessage(plan, { type: 'page', userId: 'u' })).toMatchObject({ ok: false, error: { code: 'NO_MATCHING_RULE' } });
    for (const bad of [null, 1, 'x', [], {}, { type: 5 }]) expect(mapMessage(plan, bad)).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
  });

  it('the trace names the matched rules and the source of each field', () => {
    const result = mapMessage(planOf(yaml), { type: 'track', userId: 'u', event: 'Other' }, { trace: true });
    expect(result.trace).toEqual({
      rules: [{ name: 'any-track', file: 'test.yaml' }, { name: 'also-attributes', file: 'test.yaml' }],
      unmatched: [{ name: 'special', file: 'test.yaml', reason: 'condition', condition: { '==': [{ var: 'event' }, 'Special'] }, saw: { event: 'Other' } }],
      fields: [
        { rule: 'any-track', output: 'events', field: 'name', source: 'event' },
        { rule: 'also-attributes', output: 'attributes', field: 'last_event', source: 'event' },
      ],
      attributes: [{ request: 0, index: 0, changesOnly: null }],
    });
  });

  it('the trace names the rules a stop kept from being evaluated, and an absent var as null', () => {
    const stopped = mapMessage(planOf(yaml), { type: 'track', userId: 'u', event: 'Special' }, { trace: true });
    expect(stopped.trace?.unmatched).toEqual([
      { name: 'any-track', file: 'test.yaml', reason: 'not-reached' },
      { name: 'also-attributes', file: 'test.yaml', reason: 'not-reached' },
    ]);
    const absent = mapMessage(planOf(yaml), { type: 'track', userId: 'u' }, { trace: true });
    expect(absent.trace?.unmatched[0]).toMatchObject({ name: 'special', saw: { event: null } });
  });
});

describe('identity and the other endpoints', () => {
  it('uses a custom identity block', () => {
    const yaml = `version: 1\nidentity:\n  external_id: context.traits.id\n  alias_name: anonymousId\n  alias_label: { const: web }\nrules:\n  - name: r\n    events: { fields: { name: event } }\n`;
    const plan = planOf(yaml);
    expect(firstObject(mapMessage(plan, { type: 'track', event: 'E', context: { traits: { id: 'x9' } } }), 'events')).toEqual({ external_id: 'x9', name: 'E' });
    expect(firstObject(mapMessage(plan, { type: 'track', event: 'E', anonymousId: 'a' }), 'events')).toEqual({
      user_alias: { alias_name: 'a', alias_label: 'web' },
      _update_existing_only: false,
      name: 'E',
    });
  });

  it('an empty userId does not count as a user', () => {
    const plan = planOf(attributesRule('{ a: { const: 1 } }'));
    expect(mapMessage(plan, { type: 'identify', userId: '', anonymousId: 'a' })).toMatchObject({ ok: true, requests: [{ body: { attributes: [{ user_alias: { alias_name: 'a' } }] } }] });
    expect(mapMessage(plan, { type: 'identify', userId: '' })).toMatchObject({ ok: false, error: { code: 'NO_IDENTITY' } });
  });

  it('alias emits /users/alias/new and identify honours merge_behavior', () => {
    const yaml = `version: 1
rules:
  - name: r
    alias: { fields: { external_id: userId, alias_name: anonymousId, alias_label: { const: segment_anonymous_id } } }
    identify:
      merge_behavior: none
      fields: { external_id: userId, user_alias: { object: { alias_name: anonymousId, alias_label: { const: x } } } }
`;
    const result = mapMessage(planOf(yaml), { type: 'identify', userId: 'u', anonymousId: 'a' });
    expect(result).toEqual({
      ok: true,
      warnings: [],
      requests: [
        { endpoint: '/users/alias/new', body: { user_aliases: [{ external_id: 'u', alias_name: 'a', alias_label: 'segment_anonymous_id' }] } },
        { endpoint: '/users/identify', body: { aliases_to_identify: [{ external_id: 'u', user_alias: { alias_name: 'a', alias_label: 'x' } }], merge_behavior: 'none' } },
      ],
    });
  });
});

describe('plans are frozen', () => {
  it('cannot be changed after compilation', () => {
    const plan = planOf(attributesRule('{ a: traits.a }'));
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.rules)).toBe(true);
    expect(Object.isFrozen(plan.rules[0])).toBe(true);
  });
});

describe('guards found in review', () => {
  it('required refuses null as well as absence', () => {
    const result = mapMessage(planOf(attributesRule('{ e: { path: traits.e, required: true } }')), { ...user, traits: { e: null } });
    expect(result).toMatchObject({ ok: false, error: { code: 'REQUIRED_VALUE_MISSING' } });
  });

  it('rest never copies the user identifiers or a __proto__ key', () => {
    const plan = planOf(attributesRule('{ a: traits.a }', '      rest: traits\n'));
    const traits = JSON.parse('{"external_id":"victim","braze_id":"b","user_alias":{"alias_name":"x"},"_update_existing_only":true,"__proto__":{"polluted":1},"ok":1}');
    const result = mapMessage(plan, { type: 'identify', anonymousId: 'a', traits });
    const object = firstObject(result, 'attributes');
    expect(object).toEqual({ user_alias: { alias_name: 'a', alias_label: 'segment_anonymous_id' }, _update_existing_only: false, ok: 1 });
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(result.warnings.map((w) => w.code)).toEqual(Array(5).fill('REST_KEY_SKIPPED'));
  });

  it('a templated key that renders to __proto__ fails instead of setting a prototype', () => {
    const result = mapMessage(planOf(attributesRule('{ "{{traits.k}}": { const: 1 } }')), { ...user, traits: { k: '__proto__' } });
    expect(result).toMatchObject({ ok: false, error: { code: 'TEMPLATE_KEY_UNRESOLVED' } });
  });
});
