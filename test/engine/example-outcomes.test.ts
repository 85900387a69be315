import { compileMappingSet } from '../../src/engine';

const yaml = (expected: string) => `version: 1
rules:
  - name: events
    events: { fields: { name: event } }
examples:
  - name: passes
    message: { type: track, userId: u, event: E }
    expect:
      requests:
        - endpoint: /users/track
          body: { events: [{ external_id: u, name: E }] }
  - name: fails
    message: { type: track, userId: u, event: E }
    expect:
      requests:
        - endpoint: /users/track
          body: { events: [{ external_id: u, name: ${expected} }] }
`;

describe("compileMappingSet's example outcomes", () => {
  it('reports every example, passed or not, with where it sits and the first differing pointer', () => {
    const result = compileMappingSet([{ file: 'x.yaml', text: yaml('F') }]);
    expect(result.examples).toEqual([
      { file: 'x.yaml', name: 'passes', pointer: '/examples/0', line: 6, failure: null },
      { file: 'x.yaml', name: 'fails', pointer: '/examples/1', line: 12, failure: expect.objectContaining({ code: 'EXAMPLE_FAILED', pointer: '/examples/1/expect/requests/0/body/events/0/name', line: 17 }) },
    ]);
    // By default a failing example makes the set invalid: it never serves.
    expect(result.plan).toBeNull();
  });

  it('keeps the plan when told that examples do not gate it, still reporting the failure', () => {
    const result = compileMappingSet([{ file: 'x.yaml', text: yaml('F') }], { examplesGateThePlan: false });
    expect(result.plan).not.toBeNull();
    expect(result.diagnostics.map((d) => d.code)).toEqual(['EXAMPLE_FAILED']);
    expect(compileMappingSet([{ file: 'x.yaml', text: yaml('E') }]).examples.map((x) => x.failure)).toEqual([null, null]);
  });

  it('reports no outcomes when the examples did not run', () => {
    expect(compileMappingSet([{ file: 'x.yaml', text: yaml('F') }], { runExamples: false }).examples).toEqual([]);
  });
});
