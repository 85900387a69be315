import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMappingSet } from '../src/engine';
import { defaultPlan, firstObject, mapMessage, ROOT } from './helpers/engine';

const plan = defaultPlan();
const T = '2024-03-01T12:00:00Z';

describe('mappings/braze.yaml', () => {
  it('is valid and carries examples for every message type', () => {
    const text = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
    const result = compileMappingSet([{ file: 'mappings/braze.yaml', text }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.files[0].examples).toBeGreaterThanOrEqual(10);
    for (const type of ['identify', 'track', 'group', 'page', 'screen', 'alias']) expect(text).toMatch(new RegExp(`type: ${type}\\b`));
  });

  it('snake_case senders land on the same fields and are not copied twice', () => {
    const object = firstObject(mapMessage(plan, { type: 'identify', userId: 'u', traits: { first_name: 'Ada', last_name: 'L' } }), 'attributes');
    expect(object).toEqual({ external_id: 'u', first_name: 'Ada', last_name: 'L' });
  });

  it('camelCase wins when both spellings are sent', () => {
    const object = firstObject(mapMessage(plan, { type: 'identify', userId: 'u', traits: { firstName: 'A', first_name: 'B' } }), 'attributes');
    expect(object.first_name).toBe('A');
  });

  it.each([
    ['male', 'M'],
    ['Woman', 'F'],
    ['prefer not to say', 'P'],
  ])('gender %s → %s', (word, code) => {
    expect(firstObject(mapMessage(plan, { type: 'identify', userId: 'u', traits: { gender: word } }), 'attributes').gender).toBe(code);
  });

  it('an unknown gender word is left out with a warning, not sent raw', () => {
    const result = mapMessage(plan, { type: 'identify', userId: 'u', traits: { gender: 'robot' } });
    expect(firstObject(result, 'attributes')).not.toHaveProperty('gender');
    expect(result.warnings.map((w) => w.code)).toEqual(['TRANSFORM_FAILED']);
  });

  it('a userId sent as a number becomes a string external_id', () => {
    expect(firstObject(mapMessage(plan, { type: 'track', userId: 42, event: 'E', timestamp: T }), 'events').external_id).toBe('42');
  });

  it('an identify with only userId does not merge anything', () => {
    const result = mapMessage(plan, { type: 'identify', userId: 'u', traits: {} });
    expect(result.ok && result.requests.map((r) => r.endpoint)).toEqual(['/users/track']);
  });

  it('an order names the currency of the order when the product has none, upper-cased', () => {
    const result = mapMessage(plan, { type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, properties: { currency: 'cad', products: [{ product_id: 'p', price: 1 }] } });
    expect(firstObject(result, 'purchases')).toMatchObject({ currency: 'CAD', quantity: 1, product_id: 'p' });
  });

  it('an alias without previousId is an error, not an empty request', () => {
    expect(mapMessage(plan, { type: 'alias', userId: 'u' })).toMatchObject({ ok: false, error: { code: 'REQUIRED_VALUE_MISSING' } });
  });

  it('an unknown message type is an error', () => {
    expect(mapMessage(plan, { type: 'delete', userId: 'u' })).toMatchObject({ ok: false, error: { code: 'NO_MATCHING_RULE' } });
  });
});

describe('no input makes the engine throw', () => {
  // A small seeded generator: the same corpus on every run, varied shapes and types.
  function generator(seed: number) {
    let s = seed >>> 0;
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
    const value = (depth: number): unknown => {
      const kind = pick(['str', 'num', 'bool', 'null', 'obj', 'arr', 'date', 'undef']);
      if (depth > 2 && (kind === 'obj' || kind === 'arr')) return 'deep';
      switch (kind) {
        case 'str': return pick(['', 'x', 'Order Completed', '19.99', 'male', '__proto__', '$bad']);
        case 'num': return pick([0, -1, 1.5, 1e21, NaN]);
        case 'bool': return next() > 0.5;
        case 'null': return null;
        case 'date': return pick(['2024-01-01T00:00:00Z', '2024-02-30', 'now']);
        case 'arr': return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
        case 'obj': return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick(['price', 'id', 'sku', 'city', 'a', 'products', '$x']), value(depth + 1)]));
        default: return undefined;
      }
    };
    return { next, pick, value };
  }

  it('maps 5,000 random messages to a result or an error', () => {
    const g = generator(7);
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const message: Record<string, unknown> = {
        type: g.pick(['identify', 'track', 'page', 'screen', 'group', 'alias', 'other', 3]),
        userId: g.value(0),
        anonymousId: g.value(0),
        event: g.pick(['Order Completed', 'Completed Order', g.value(0)]),
        groupId: g.value(0),
        previousId: g.value(0),
        name: g.value(0),
        timestamp: g.value(0),
        traits: g.value(0),
        properties: g.pick([g.value(0), { products: g.value(0), currency: g.value(0) }]),
      };
      const result = mapMessage(plan, message);
      expect(typeof result.ok).toBe('boolean');
      if (result.ok) {
        ok++;
        expect(() => JSON.stringify(result.requests)).not.toThrow();
      }
    }
    expect(ok).toBeGreaterThan(100);
  });
});

describe('loosely typed input found in review', () => {
  const order = (products: unknown[], extra: Record<string, unknown> = {}) =>
    mapMessage(plan, { type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, properties: { products, ...extra } });

  it('an empty or unusable product_id falls through to id and sku', () => {
    expect(firstObject(order([{ product_id: '', sku: 'S', price: 1 }]), 'purchases').product_id).toBe('S');
    expect(firstObject(order([{ product_id: {}, id: 7, price: 1 }]), 'purchases').product_id).toBe('7');
  });

  it('currency: the product’s if usable, else the order’s, else USD', () => {
    expect(firstObject(order([{ sku: 'S', price: 1, currency: 5 }], { currency: 'eur' }), 'purchases').currency).toBe('EUR');
    expect(firstObject(order([{ sku: 'S', price: 1, currency: '' }]), 'purchases').currency).toBe('USD');
    expect(firstObject(order([{ sku: 'S', price: 1, currency: ' gbp ' }], { currency: 'eur' }), 'purchases').currency).toBe('GBP');
  });

  it('a product with null price is skipped, not sent with null', () => {
    const result = order([{ sku: 'S', price: null }, { sku: 'T', price: 2 }]);
    expect(result.ok && (result.requests[0].body.purchases as unknown[]).length).toBe(1);
    expect(result.warnings.map((w) => w.code)).toContain('ITEM_SKIPPED');
  });

  it('event names are non-empty strings; null or empty fails', () => {
    expect(firstObject(mapMessage(plan, { type: 'track', userId: 'u', event: 42, timestamp: T }), 'events').name).toBe('42');
    for (const event of [null, '', '  ']) expect(mapMessage(plan, { type: 'track', userId: 'u', event, timestamp: T })).toMatchObject({ ok: false, error: { code: 'REQUIRED_VALUE_MISSING' } });
  });

  it('event properties must be an object, and $ keys are left out with a warning', () => {
    expect(firstObject(mapMessage(plan, { type: 'track', userId: 'u', event: 'E', timestamp: T, properties: 'x' }), 'events')).not.toHaveProperty('properties');
    const result = mapMessage(plan, { type: 'track', userId: 'u', event: 'E', timestamp: T, properties: { $price: 1, ok: 2 } });
    expect(firstObject(result, 'events').properties).toEqual({ ok: 2 });
    expect(result.warnings.map((w) => w.code)).toEqual(['REST_KEY_SKIPPED']);
  });

  it('an identify merge with an unusable anonymousId is an error, not a half entry', () => {
    expect(mapMessage(plan, { type: 'identify', userId: 'u', anonymousId: { a: 1 } })).toMatchObject({ ok: false, error: { code: 'REQUIRED_VALUE_MISSING' } });
  });

  it('an order or event without timestamp uses receivedAt', () => {
    const result = mapMessage(plan, { type: 'track', userId: 'u', event: 'E', receivedAt: T });
    expect(firstObject(result, 'events').time).toBe(T.replace('Z', '.000Z'));
  });
});
