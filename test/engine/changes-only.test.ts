import { BrazeRequest, compileMappingSet, MapResult } from '../../src/engine';
import { attributesRule, mapMessage, planOf } from '../helpers/engine';

const identify = { type: 'identify', userId: 'u1', traits: { email: 'a@example.com', plan: 'pro', items: Array.from({ length: 90 }, (_, i) => ({ n: i })) } };

function requestsOf(result: MapResult): BrazeRequest[] {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.requests;
}

function diagnosticsOf(yaml: string) {
  return compileMappingSet([{ file: 'test.yaml', text: yaml }]).diagnostics.map((d) => ({ code: d.code, severity: d.severity, pointer: d.pointer, at: `${d.line}:${d.col}`, message: d.message }));
}

describe('changes_only on an attributes output', () => {
  it('is off by default: the request carries no policy and the trace says every attribute is sent', () => {
    const result = mapMessage(planOf(attributesRule('{ email: traits.email }')), identify, { trace: true });
    expect(requestsOf(result)[0].changesOnly).toBeUndefined();
    expect(result.trace?.attributes).toEqual([{ request: 0, index: 0, changesOnly: null }]);
  });

  it('travels beside the body, never in it: the JSON of the request is endpoint and body, as before', () => {
    const plain = requestsOf(mapMessage(planOf(attributesRule('{ email: traits.email, plan: traits.plan }')), identify))[0];
    const yaml = attributesRule('{ email: traits.email, plan: traits.plan }', '      changes_only: true\n      always_send: [plan]\n');
    const request = requestsOf(mapMessage(planOf(yaml), identify))[0];
    expect(request.changesOnly).toEqual([{ alwaysSent: ['plan'] }]);
    expect(Object.keys(request)).toEqual(['endpoint', 'body']);
    expect(JSON.stringify(request)).toBe(JSON.stringify(plain));
    expect(Object.isFrozen(request.changesOnly![0]!.alwaysSent)).toBe(true);
  });

  it('is the same from the generated code and from the traced interpreter', () => {
    const plan = planOf(attributesRule('{ email: traits.email }', '      changes_only: true\n'));
    const fast = requestsOf(mapMessage(plan, identify));
    const traced = mapMessage(plan, identify, { trace: true });
    expect(requestsOf(traced)[0].changesOnly).toEqual(fast[0].changesOnly);
    expect(traced.trace?.attributes).toEqual([{ request: 0, index: 0, changesOnly: { alwaysSent: [] } }]);
  });

  it('is per object: two rules filling one request keep their own policy, in body order', () => {
    const yaml = `version: 1
rules:
  - name: everything
    attributes:
      fields: { email: traits.email }
  - name: changes
    attributes:
      changes_only: true
      always_send: [plan]
      fields: { plan: traits.plan }
  - name: an-event
    events:
      fields: { name: { const: e }, time: { const: "2024-01-01T00:00:00Z" } }
`;
    const [request] = requestsOf(mapMessage(planOf(yaml), identify));
    expect(request.body.attributes).toEqual([
      { external_id: 'u1', email: 'a@example.com' },
      { external_id: 'u1', plan: 'pro' },
    ]);
    expect(request.changesOnly).toEqual([null, { alwaysSent: ['plan'] }]);
  });

  it('stays index for index with body.attributes when the objects are split over Braze’s 75 per request', () => {
    // 60 objects sending everything, then 30 sending changes only: 75 in the first request, 15 in the second.
    const yaml = `version: 1
rules:
  - name: all
    attributes:
      each: traits.items
      fields: { n: $item.n }
  - name: changes
    attributes:
      changes_only: true
      each: traits.more
      fields: { m: $item.n }
`;
    const items = Array.from({ length: 60 }, (_, i) => ({ n: i }));
    const requests = requestsOf(mapMessage(planOf(yaml), { ...identify, traits: { items, more: items.slice(0, 30) } }));
    expect(requests.map((r) => (r.body.attributes as unknown[]).length)).toEqual([75, 15]);
    for (const request of requests) {
      const objects = request.body.attributes as Record<string, unknown>[];
      expect(request.changesOnly).toHaveLength(objects.length);
      objects.forEach((object, i) => expect(request.changesOnly![i]).toEqual('m' in object ? { alwaysSent: [] } : null));
    }
    expect(requests[0].changesOnly!.filter((p) => p !== null)).toHaveLength(15);
  });

  it('a request whose attributes all send everything carries no policy, even next to one that sends changes only', () => {
    const yaml = `version: 1
rules:
  - name: changes
    attributes:
      changes_only: true
      each: traits.items
      fields: { n: $item.n }
  - name: all
    attributes:
      fields: { email: traits.email }
`;
    // 75 objects sending changes only fill the first request; the second holds only the one that sends everything.
    const requests = requestsOf(mapMessage(planOf(yaml), { ...identify, traits: { ...identify.traits, items: identify.traits.items.slice(0, 75) } }));
    expect(requests.map((r) => (r.body.attributes as unknown[]).length)).toEqual([75, 1]);
    expect(requests[0].changesOnly).toHaveLength(75);
    expect(requests[1].changesOnly).toBeUndefined();
  });
});

describe('changes_only diagnostics', () => {
  it('an always_send key the output never writes is a warning with a suggestion; the set still compiles', () => {
    const yaml = attributesRule('{ email: traits.email, plan: traits.plan }', '      changes_only: true\n      always_send: [plna]\n');
    expect(diagnosticsOf(yaml)).toEqual([
      { code: 'ALWAYS_SEND_NEVER_WRITTEN', severity: 'warning', pointer: '/rules/0/attributes/always_send/0', at: '7:21', message: expect.stringContaining('(did you mean "plan"?)') },
    ]);
    expect(compileMappingSet([{ file: 'test.yaml', text: yaml }]).plan).not.toBeNull();
  });

  it('a key `rest` may copy, or a templated key may render to, is not warned about', () => {
    expect(diagnosticsOf(attributesRule('{ email: traits.email }', '      rest: traits\n      changes_only: true\n      always_send: [plan]\n'))).toEqual([]);
    expect(diagnosticsOf(attributesRule('{ "group_{{groupId}}": { const: true } }', '      changes_only: true\n      always_send: [group_acme]\n'))).toEqual([]);
    expect(diagnosticsOf(attributesRule('{ "group_{{groupId}}": { const: true } }', '      changes_only: true\n      always_send: [grp_acme]\n')).map((d) => d.code)).toEqual([
      'ALWAYS_SEND_NEVER_WRITTEN',
    ]);
  });

  it('always_send without changes_only, or naming an identifier, has no effect and says so', () => {
    expect(diagnosticsOf(attributesRule('{ plan: traits.plan }', '      always_send: [plan]\n'))).toEqual([
      expect.objectContaining({ code: 'ALWAYS_SEND_IGNORED', severity: 'warning', pointer: '/rules/0/attributes/always_send', at: '6:7' }),
    ]);
    expect(diagnosticsOf(attributesRule('{ plan: traits.plan }', '      changes_only: true\n      always_send: [external_id]\n'))).toEqual([
      expect.objectContaining({ code: 'ALWAYS_SEND_IGNORED', severity: 'warning', pointer: '/rules/0/attributes/always_send/0', at: '7:21' }),
    ]);
  });

  it('changes_only: false is the default, written out', () => {
    const plan = planOf(attributesRule('{ email: traits.email }', '      changes_only: false\n'));
    expect(requestsOf(mapMessage(plan, identify))[0].changesOnly).toBeUndefined();
  });
});
