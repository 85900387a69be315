import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { corpus, prng } from '../../bench/corpus';
import { MappingPlan, MapResult } from '../../src/engine';
import { firstObject, mapMessage, planOf, ROOT } from '../helpers/engine';

/*
 * Without a trace, outputs run as generated code; with one, as the interpreter. Both must
 * give the same requests, warnings and errors for every message, so this runs the two over
 * the corpus, the mappings' own examples and seeded random messages built to hit the edges
 * (`$` keys, own `__proto__` keys, reserved and duplicate keys, wrong types, nulls).
 */

/** Uses every directive and modifier, in the combinations where the code differs. */
const KITCHEN_SINK = `version: 1
identity:
  external_id: { first: [{ path: userId, transform: [string, trim, nonempty] }, traits.id] }
  alias_name: { path: anonymousId, transform: string }
  alias_label: { template: "anon-{{context.source}}" }
rules:
  - name: sink
    when: { "!=": [{ var: type }, alias] }
    attributes:
      fields:
        "t_{{traits.kind}}": { path: traits.n, transform: integer, default: 0 }
        email: { path: traits.email, transform: [string, lowercase] }
        who:
          object:
            first: { first: [traits.first, traits.firstName] }
            "k_{{traits.kind}}_{{traits.n}}": { const: { deep: [1, 2] } }
            city: traits.address.city
            extra: { rest: { from: traits.address, except: [zip] } }
        label: { template: "{{traits.first}} #{{traits.n}}!" }
        tags: { path: traits.tags, default: [none] }
        nothing: { object: { a: traits.none } }
      rest: { from: traits, except: [password, nested.secret] }
  - name: items
    when: { "==": [{ var: type }, track] }
    purchases:
      each: properties.products
      fields:
        product_id: { first: [{ path: $item.id, transform: [string, trim, nonempty] }, $item.sku], required: true }
        price: { path: $item.price, transform: number, required: true }
        currency: { first: [{ path: $item.currency, transform: currency }, { path: properties.currency, transform: currency }], default: USD }
        time: { first: [timestamp, receivedAt], transform: iso8601, required: true }
        properties: { rest: $item }
    events:
      fields:
        name: { path: event, transform: [string, nonempty], required: true }
        properties: { rest: properties }
        context: { rest: context }
  - name: aliases
    stop: true
    alias:
      fields:
        external_id: userId
        alias_name: { path: previousId, required: true }
        alias_label: { const: prev }
      rest: context
    identify:
      merge_behavior: none
      fields:
        external_id: { path: userId, transform: string, required: true }
        user_alias: { object: { alias_name: { path: previousId, required: true }, alias_label: { const: x } } }
  - name: templated-only
    when: { "==": [{ var: type }, group] }
    events:
      fields:
        "g_{{groupId}}": { const: true }
        name: { const: grouped }
      rest: traits
`;

/** Keys and paths that would break generated code if they were ever written into it unescaped. */
const HOSTILE_NAMES = ['a"b', "c'd", 'e\\f', '${g}', 'h\nj', '*/k', 'l\u2028m', '`n`', '}); throw 1; ({'];
const HOSTILE = `version: 1
identity:
  external_id: { path: ${JSON.stringify(`traits.${HOSTILE_NAMES[0]}`)} }
rules:
  - name: hostile
    attributes:
      fields:
${HOSTILE_NAMES.map((n, i) => `        ${JSON.stringify(n)}: { path: ${JSON.stringify(`traits.${HOSTILE_NAMES[(i + 1) % HOSTILE_NAMES.length]}`)}, default: ${JSON.stringify(n)} }`).join('\n')}
        ${JSON.stringify(`t_{{traits.${HOSTILE_NAMES[0]}}}`)}: { template: ${JSON.stringify(`{{traits.${HOSTILE_NAMES[1]}}} ${HOSTILE_NAMES[2]}`)}, required: true }
      rest: { from: traits, except: ${JSON.stringify(HOSTILE_NAMES.slice(4, 6))} }
`;

function hostileMessages(): unknown[] {
  const traits = Object.fromEntries(HOSTILE_NAMES.map((n, i) => [n, i % 3 === 2 ? { [n]: n } : n]));
  return [{ type: 'identify', traits }, { type: 'identify', traits: { ...traits, [HOSTILE_NAMES[0]]: '' } }, { type: 'identify', traits: { [HOSTILE_NAMES[0]]: 'u' } }];
}

const KEYS = ['userId', 'anonymousId', 'previousId', 'event', 'name', 'groupId', 'traits', 'properties', 'products', 'context', 'source', 'timestamp', 'receivedAt',
  'id', 'sku', 'price', 'currency', 'quantity', 'product_id', 'email', 'first', 'firstName', 'kind', 'n', 'tags', 'address', 'city', 'zip', 'password', 'nested',
  'secret', '$set', '__proto__', 'external_id', 'user_alias', 't_a', 'g_1', 'who', 'label', 'toString', ''];
const SCALARS: unknown[] = [null, '', ' x ', 'A', 'usd', 'eur', '2024-03-01T12:00:00Z', 'not a date', 0, 1, 2.5, -3, 1700000000000, true, false, 'a', '1'];

/** JSON text, so that `__proto__` becomes an own key as it does in parsed messages. */
function randomMembers(random: () => number, depth: number): string[] {
  return Array.from({ length: Math.floor(random() * 7) }, () => `${JSON.stringify(KEYS[Math.floor(random() * KEYS.length)])}:${randomJson(random, depth - 1)}`);
}

function randomJson(random: () => number, depth: number): string {
  const roll = random();
  if (depth <= 0 || roll < 0.45) return JSON.stringify(SCALARS[Math.floor(random() * SCALARS.length)]);
  if (roll < 0.55) return `[${Array.from({ length: Math.floor(random() * 3) }, () => randomJson(random, depth - 1)).join(',')}]`;
  return `{${randomMembers(random, depth).join(',')}}`;
}

/** Messages with the members the mappings read, mostly of the right type, often not. */
function* randomMessages(count: number, seed: number): Generator<unknown> {
  const random = prng(seed);
  const types = ['identify', 'track', 'group', 'page', 'screen', 'alias', 'other'];
  const scalar = () => JSON.stringify(random() < 0.7 ? `s${Math.floor(random() * 3)}` : SCALARS[Math.floor(random() * SCALARS.length)]);
  const object = () => `{${randomMembers(random, 3).join(',')}}`;
  for (let i = 0; i < count; i++) {
    const members = [`"type":${JSON.stringify(types[Math.floor(random() * types.length)])}`];
    for (const key of ['userId', 'anonymousId', 'previousId', 'event', 'groupId', 'timestamp']) if (random() < 0.7) members.push(`"${key}":${scalar()}`);
    const withKeys = (keys: string[]) => `{${[...keys.filter(() => random() < 0.6).map((k) => `"${k}":${scalar()}`), ...randomMembers(random, 2)].join(',')}}`;
    if (random() < 0.8) members.push(`"traits":${random() < 0.8 ? withKeys(['kind', 'n', 'first', 'email', 'external_id', 'user_alias', 't_s1']) : randomJson(random, 2)}`);
    if (random() < 0.8) members.push(`"context":${random() < 0.8 ? object() : randomJson(random, 2)}`);
    const product = () => withKeys(['id', 'sku', 'price', 'currency']);
    const products = `[${Array.from({ length: Math.floor(random() * 4) }, product).join(',')}]`;
    if (random() < 0.8) members.push(`"properties":{${[...randomMembers(random, 2), ...(random() < 0.7 ? [`"products":${products}`] : [])].join(',')}}`);
    members.push(...randomMembers(random, 2));
    yield JSON.parse(`{${members.join(',')}}`);
  }
}

function messagesFor(text: string): unknown[] {
  const examples = (parse(text) as { examples?: { message: unknown }[] }).examples ?? [];
  return [
    ...examples.map((e) => e.message),
    ...[...corpus(1500, { seed: 7, varied: false })],
    ...[...corpus(1500, { seed: 8, varied: true })],
    ...randomMessages(4000, 9),
    ...hostileMessages(),
    null,
    [],
    { type: 1 },
  ];
}

function outcome(run: () => MapResult): Partial<MapResult> & { threw?: string } {
  try {
    return run();
  } catch (error) {
    return { threw: String(error) };
  }
}

function expectSameInBothModes(plan: MappingPlan, messages: unknown[]): void {
  let differences = 0;
  for (const message of messages) {
    // A `toString` member that is not a function makes json-logic's `>` throw, in both modes alike.
    const { trace, ...traced } = outcome(() => mapMessage(plan, message, { trace: true }));
    const plain = outcome(() => mapMessage(plan, message));
    expect(trace ?? 'threw').toBeDefined();
    if (JSON.stringify(plain) !== JSON.stringify(traced) && differences++ < 3) expect({ message, result: plain }).toEqual({ message, result: traced });
  }
  expect(differences).toBe(0);
}

describe('generated code and the interpreter agree', () => {
  const valid = join(ROOT, 'test', 'fixtures', 'mappings', 'valid');
  const cases: [string, string][] = [
    ['mappings/braze.yaml', readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8')],
    ['kitchen sink', KITCHEN_SINK],
    ['hostile names', HOSTILE],
    ...readdirSync(valid)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f): [string, string] => [f, readFileSync(join(valid, f), 'utf8')]),
  ];

  it.each(cases)('%s', (_, text) => {
    expectSameInBothModes(planOf(text), messagesFor(text));
  });

  it('names that look like code are only ever data', () => {
    const object = firstObject(mapMessage(planOf(HOSTILE), hostileMessages()[0]), 'attributes');
    expect(Object.keys(object)).toEqual(expect.arrayContaining([...HOSTILE_NAMES, `t_${HOSTILE_NAMES[0]}`]));
    expect(object[HOSTILE_NAMES[8]]).toBe(HOSTILE_NAMES[0]);
  });

  it('the random messages reach the edges they are meant to', () => {
    const plan = planOf(KITCHEN_SINK);
    const seen = new Set<string>();
    for (const message of messagesFor(KITCHEN_SINK)) {
      const result = mapMessage(plan, message);
      for (const w of result.warnings) seen.add(w.code + ' ' + w.message.replace(/^.*: /, ''));
      if (!result.ok) seen.add(result.error.code);
    }
    const all = [...seen].join('\n');
    for (const expected of ['Braze refuses keys that start with "$"', 'a "__proto__" key cannot be copied', 'names the user', 'is already set by a named field', 'TRANSFORM_FAILED', 'ITEM_SKIPPED', 'EACH_EMPTY', 'NO_IDENTITY', 'REQUIRED_VALUE_MISSING', 'TEMPLATE_KEY_UNRESOLVED']) {
      expect(all).toContain(expected);
    }
  });
});
