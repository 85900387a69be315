import { compileMappingSet } from '../../src/engine';
import { TRANSFORM_FAILED, TRANSFORMS } from '../../src/engine/transforms';
import { defaultPlan, firstObject, mapMessage, planOf } from '../helpers/engine';

/**
 * Every lookup keyed by what a message (or a mapping) says must see own members only: the
 * names every object inherits must behave as the unknown words they are.
 */
const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
const both = [false, true].map((trace) => [trace ? 'interpreted (trace)' : 'generated code', trace] as const);

describe('values that name inherited members', () => {
  it.each(INHERITED)('gender %p is a TRANSFORM_FAILED warning, not {} or a silent drop', (word) => {
    expect(TRANSFORMS.gender.apply(word)).toBe(TRANSFORM_FAILED);
    expect(TRANSFORMS.gender.apply(` ${word.toUpperCase()} `)).toBe(TRANSFORM_FAILED);
  });

  it.each(both)('the default mapping leaves such a gender out with a warning (%s)', (_, trace) => {
    const plan = defaultPlan();
    for (const gender of INHERITED) {
      const result = mapMessage(plan, { type: 'identify', userId: 'u', traits: { gender, email: 'a@b.c' } }, { trace });
      const attributes = firstObject(result, 'attributes');
      expect(Object.hasOwn(attributes, 'gender')).toBe(false);
      expect(attributes.email).toBe('a@b.c');
      expect(result.warnings).toEqual([{ code: 'TRANSFORM_FAILED', message: `traits.gender: gender cannot use ${JSON.stringify(gender)}` }]);
      expect(JSON.stringify(result)).not.toContain('"gender":{}');
    }
  });

  it('no transform answers an object or a function for such a word', () => {
    for (const [name, transform] of Object.entries(TRANSFORMS)) {
      for (const word of INHERITED) {
        const out = transform.apply(word);
        if (out !== TRANSFORM_FAILED) expect([name, typeof out]).toEqual([name, 'string']);
      }
    }
  });
});

describe('message keys that name inherited members', () => {
  // JSON text, so that these become own keys as they do in a parsed message.
  const traits = JSON.parse('{"constructor":"c","toString":"t","hasOwnProperty":"h","plan":"pro"}');

  it.each(both)('are data: rest copies them and a path reads them (%s)', (_, trace) => {
    const plan = planOf('version: 1\nrules:\n  - name: r\n    attributes:\n      fields: { t: traits.toString }\n      rest: traits\n');
    const attributes = firstObject(mapMessage(plan, { type: 'identify', userId: 'u', traits }, { trace }), 'attributes');
    expect(attributes).toEqual({ external_id: 'u', t: 't', constructor: 'c', hasOwnProperty: 'h', plan: 'pro' });
  });

  it.each(both)('a path to one the message lacks is absent, not Object’s member (%s)', (_, trace) => {
    const plan = planOf('version: 1\nrules:\n  - name: r\n    attributes:\n      fields: { a: traits.toString, b: { path: traits.hasOwnProperty, transform: string }, c: traits.valueOf }\n');
    const result = mapMessage(plan, { type: 'identify', userId: 'u', traits: { plan: 'pro' } }, { trace });
    expect(firstObject(result, 'attributes')).toEqual({ external_id: 'u' });
    expect(result.warnings).toEqual([]);
  });

  it.each(both)('a templated key may render to one, and is written as an own key (%s)', (_, trace) => {
    const plan = planOf('version: 1\nrules:\n  - name: r\n    attributes:\n      fields: { "{{traits.k}}": { const: 1 } }\n');
    for (const k of ['constructor', 'toString', 'hasOwnProperty']) {
      const attributes = firstObject(mapMessage(plan, { type: 'identify', userId: 'u', traits: { k } }, { trace }), 'attributes');
      expect(Object.getOwnPropertyDescriptor(attributes, k)).toMatchObject({ value: 1, enumerable: true });
    }
  });

  it('json-logic `missing` finds a key the message lacks, even when Object has a member of that name', () => {
    // The keys `missing` checks may come from the message itself.
    const plan = planOf('version: 1\nrules:\n  - name: r\n    when: { missing: { var: properties.required } }\n    events: { fields: { name: { const: incomplete }, time: { const: "2024-01-01T00:00:00.000Z" } } }\n');
    const message = (required: string[], properties: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u', event: 'E', properties: { required, ...properties } });
    for (const key of ['properties.constructor', 'properties.toString', 'properties.hasOwnProperty']) {
      expect(mapMessage(plan, message([key]))).toMatchObject({ ok: true });
      // Present as the message's own member: nothing is missing, so the rule does not match.
      expect(mapMessage(plan, message([key], JSON.parse(`{"${key.split('.')[1]}": "x"}`)))).toMatchObject({ ok: false, error: { code: 'NO_MATCHING_RULE' } });
    }
  });
});

describe('mapping keys that name inherited members', () => {
  it('an example that expects a member the output lacks says it got nothing', () => {
    const yaml = [
      'version: 1',
      'rules:',
      '  - name: r',
      '    attributes: { fields: { plan: traits.plan } }',
      'examples:',
      '  - name: expects constructor',
      '    message: { type: identify, userId: u, traits: { plan: pro } }',
      '    expect: { requests: [{ endpoint: /users/track, body: { attributes: [{ external_id: u, plan: pro, constructor: x }] } }] }',
      '',
    ].join('\n');
    const failures = compileMappingSet([{ file: 'e.yaml', text: yaml }]).diagnostics.filter((d) => d.code === 'EXAMPLE_FAILED');
    expect(failures).toMatchObject([{ pointer: '/examples/0/expect/requests/0/body/attributes/0/constructor', message: expect.stringContaining('expected "x", got nothing') }]);
  });

  it.each(INHERITED.filter((n) => n !== '__proto__'))('a transform, directive or operator named %p is refused at load time', (name) => {
    const codes = (yaml: string) => compileMappingSet([{ file: 't.yaml', text: yaml }]).diagnostics.map((d) => d.code);
    expect(codes(`version: 1\nrules:\n  - name: r\n    attributes: { fields: { a: { path: traits.a, transform: ${name} } } }\n`)).toContain('UNKNOWN_TRANSFORM');
    expect(codes(`version: 1\nrules:\n  - name: r\n    attributes: { fields: { a: { ${name}: traits.a } } }\n`)).toContain('UNKNOWN_KEY');
    expect(codes(`version: 1\nrules:\n  - name: r\n    when: { ${name}: [1, 1] }\n    attributes: { fields: { a: traits.a } }\n`)).toContain('UNKNOWN_OPERATOR');
    expect(codes(`version: 1\nrules:\n  - name: r\n    ${name}: { fields: { a: traits.a } }\n`)).toEqual(expect.arrayContaining(['UNKNOWN_KEY']));
  });
});
