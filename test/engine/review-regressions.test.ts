import { mapMessage } from '../../src/engine';
import { defaultPlan, planOf } from '../helpers/engine';

describe('mapping never throws, whatever the message or the mapping', () => {
  it('a condition over an object whose toString is not a function does not match', () => {
    const plan = planOf('version: 1\nrules:\n  - name: pro\n    when: { "==": [{ var: traits.plan }, pro] }\n    attributes: { fields: { pro: { const: true } } }\n');
    for (const plan_ of [{ toString: 1 }, { valueOf: 1, toString: {} }, [{ toString: 1 }]]) {
      expect(mapMessage(plan, { type: 'identify', userId: 'u', traits: { plan: plan_ } })).toMatchObject({ ok: false, error: { code: 'NO_MATCHING_RULE' } });
    }
    expect(mapMessage(plan, { type: 'identify', userId: 'u', traits: { plan: 'pro' } })).toMatchObject({ ok: true });
  });

  it('a value nested deeper than the stack that fails a transform is a warning', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 20_000; i++) deep.push((deep = []));
    const result = mapMessage(defaultPlan(), { type: 'identify', userId: root, anonymousId: 'a' });
    // userId is unusable, so the merge rule lacks its required external_id: refused, with the reason, not thrown.
    expect(result).toMatchObject({ ok: false, error: { code: 'REQUIRED_VALUE_MISSING' }, warnings: [{ code: 'TRANSFORM_FAILED', message: 'userId: string cannot use […]' }] });
  });

  it('a mapping nested past what generated code can hold still maps (interpreted)', () => {
    const trims = Array(3000).fill('trim').join(', ');
    const plan = planOf(`version: 1\nrules:\n  - name: r\n    attributes:\n      fields:\n        x: { path: traits.a, transform: [${trims}] }\n`);
    expect(mapMessage(plan, { type: 'identify', userId: 'u', traits: { a: ' hi ' } })).toEqual({ ok: true, warnings: [], requests: [{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', x: 'hi' }] } }] });
  });

  it('a default object is frozen, so one caller cannot change the next message', () => {
    const plan = planOf('version: 1\nrules:\n  - name: r\n    attributes:\n      fields:\n        tags: { path: traits.tags, default: [none] }\n');
    const first = mapMessage(plan, { type: 'identify', userId: 'u' });
    const tags = first.ok ? (first.requests[0].body.attributes as { tags: string[] }[])[0].tags : null;
    expect(Object.isFrozen(tags)).toBe(true);
    expect(() => tags!.push('X')).toThrow(/not extensible/);
    expect(mapMessage(plan, { type: 'identify', userId: 'v' })).toMatchObject({ ok: true, requests: [{ body: { attributes: [{ tags: ['none'] }] } }] });
  });

  it('two outputs over 130,000 items each fill one bucket', () => {
    const plan = planOf('version: 1\nrules:\n  - name: r\n    events: { each: properties.items, fields: { name: { const: a }, time: { const: "2024-01-01T00:00:00.000Z" } } }\n  - name: s\n    events: { each: properties.items, fields: { name: { const: b }, time: { const: "2024-01-01T00:00:00.000Z" } } }\n');
    const result = mapMessage(plan, { type: 'track', userId: 'u', event: 'E', properties: { items: Array.from({ length: 130_000 }, () => ({})) } });
    expect(result.ok && result.requests.reduce((n, r) => n + (r.body.events as unknown[]).length, 0)).toBe(260_000);
  });
});
