import jsonLogic from 'json-logic-js';
import { FindingSink } from '../../src/engine/diagnostics';
import { compileLogic } from '../../src/engine/logic/compile-logic';
import { OPERATOR_NAMES } from '../../src/engine/logic/operators';

function compile(rule: unknown) {
  const sink = new FindingSink();
  const fn = compileLogic(rule, '/when', sink);
  return { fn, findings: sink.findings };
}

const DATA = [
  { type: 'track', event: 'Order Completed', userId: 'u1', properties: { revenue: 30, products: [{ price: 10 }, { price: 20 }], tags: ['a', 'b'] } },
  { type: 'identify', userId: '', anonymousId: 'a1', traits: { age: '42', email: null, name: 'Ada' } },
  { type: 'page', name: 'Home', properties: { products: [] } },
  { type: 'group', groupId: 0, traits: {} },
];

/** json-logic-js is the reference: the compiled closures must agree with it everywhere. */
const RULES: unknown[] = [
  { '==': [{ var: 'type' }, 'track'] },
  { '===': [{ var: 'groupId' }, 0] },
  { '!=': [{ var: 'traits.age' }, 42] },
  { '!==': [{ var: 'traits.age' }, '42'] },
  { and: [{ var: 'userId' }, { var: 'anonymousId' }] },
  { or: [{ var: 'userId' }, { var: 'anonymousId' }, 'none'] },
  { '!': { var: 'userId' } },
  { '!!': [{ var: 'properties.products' }] },
  { in: [{ var: 'event' }, ['Completed Order', 'Order Completed']] },
  { in: ['Comp', { var: 'event' }] },
  { if: [{ var: 'userId' }, 'known', { var: 'anonymousId' }, 'anonymous', 'nobody'] },
  { '?:': [{ var: 'name' }, { cat: ['Viewed ', { var: 'name' }, ' Page'] }, 'Loaded a Page'] },
  { '>': [{ var: 'properties.revenue' }, 10] },
  { '>=': [{ var: 'traits.age' }, 42] },
  { '<': [1, { var: 'properties.revenue' }, 100] },
  { '<=': [{ var: 'properties.revenue' }, 30] },
  { '+': [{ var: 'properties.revenue' }, '2.5'] },
  { '*': [{ var: 'traits.age' }, 2] },
  { '-': [{ var: 'properties.revenue' }] },
  { '/': [{ var: 'properties.revenue' }, 4] },
  { '%': [{ var: 'properties.revenue' }, 7] },
  { min: [3, 1, 2] },
  { max: [{ var: 'properties.revenue' }, 12] },
  { substr: [{ var: 'event' }, 0, 5] },
  { substr: [{ var: 'event' }, -3] },
  { substr: ['segment', 1, -2] },
  { merge: [[1], 2, [{ var: 'type' }]] },
  { var: ['traits.missing', 'fallback'] },
  { var: 'properties.products.1.price' },
  { var: '' },
  { missing: ['userId', 'anonymousId', 'traits.email'] },
  { missing_some: [1, ['userId', 'anonymousId']] },
  { some: [{ var: 'properties.products' }, { '>': [{ var: 'price' }, 15] }] },
  { all: [{ var: 'properties.products' }, { '>': [{ var: 'price' }, 5] }] },
  { none: [{ var: 'properties.products' }, { '>': [{ var: 'price' }, 50] }] },
  { filter: [{ var: 'properties.products' }, { '>': [{ var: 'price' }, 15] }] },
  { map: [{ var: 'properties.products' }, { var: 'price' }] },
  { cat: ['a', null, 1, true] },
  [{ var: 'type' }, 1],
  'literal',
];

describe('compiled json-logic agrees with json-logic-js', () => {
  it.each(RULES.map((rule) => [JSON.stringify(rule), rule]))('%s', (_, rule) => {
    const { fn, findings } = compile(rule);
    expect(findings).toEqual([]);
    for (const data of DATA) expect(fn(data)).toEqual(jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
  });
});

describe('compile-time checks', () => {
  it.each([
    [{ contians: ['a', 'b'] }, 'UNKNOWN_OPERATOR', '/when/contians', /did you mean "in"|unknown/],
    [{ and: [{ '==': [1, 1] }, { '=': [1, 1] }] }, 'UNKNOWN_OPERATOR', '/when/and/1/=', /did you mean "=="/],
    [{ log: 'x' }, 'UNKNOWN_OPERATOR', '/when/log', /unknown/],
    [{ '==': [1] }, 'INVALID_CONDITION', '/when/==', /takes 2 argument/],
    [{ var: [{ var: 'a' }] }, 'INVALID_CONDITION', '/when/var/0', /literal path/],
    [{ var: 'traits.__proto__' }, 'MALFORMED_PATH', '/when/var', /not a usable path/],
    [{ '==': [1, 1], '!=': [1, 2] }, 'INVALID_CONDITION', '/when', /exactly one key/],
    [{ toString: [] }, 'UNKNOWN_OPERATOR', '/when/toString', /unknown/],
  ])('%j → %s at %s', (rule, code, pointer, message) => {
    const { findings } = compile(rule);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code, pointer });
    expect(findings[0].message).toMatch(message);
  });

  it('reports every problem of a tree in one pass', () => {
    const { findings } = compile({ and: [{ foo: 1 }, { bar: 2 }, { '==': [] }] });
    expect(findings.map((f) => f.code)).toEqual(['UNKNOWN_OPERATOR', 'UNKNOWN_OPERATOR', 'INVALID_CONDITION']);
  });

  it('allows exactly the documented operators', () => {
    expect([...OPERATOR_NAMES].sort()).toEqual(
      ['!', '!!', '!=', '!==', '%', '*', '+', '-', '/', '<', '<=', '==', '===', '>', '>=', '?:', 'all', 'and', 'cat', 'filter', 'if', 'in', 'map', 'max', 'merge', 'min', 'missing', 'missing_some', 'none', 'or', 'some', 'substr', 'var'].sort(),
    );
  });

  it('never reads through the prototype chain', () => {
    const { fn } = compile({ var: 'toString' });
    expect(fn({})).toBeNull();
  });
});
