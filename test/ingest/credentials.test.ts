import { storableBody } from '../../src/ingest/credentials';

const stored = (source: Parameters<typeof storableBody>[0], body: unknown) => {
  const raw = Buffer.from(JSON.stringify(body));
  const out = storableBody(source, body, raw);
  return { same: out === raw, body: JSON.parse(out.toString('utf8')) };
};

describe('what the inbox stores of a body', () => {
  it('the bytes as received when no write key is in them', () => {
    expect(stored('batch', { batch: [{ type: 'track', userId: 'u', event: 'E' }] }).same).toBe(true);
    expect(stored('webhook', [{ type: 'track', userId: 'u', event: 'E' }]).same).toBe(true);
  });

  it.each([
    ['batch', { writeKey: 'k', sentAt: 'x', batch: [{ userId: 'u', writeKey: 'k' }, { userId: 'v' }] }, { sentAt: 'x', batch: [{ userId: 'u' }, { userId: 'v' }] }],
    ['batch', { batch: [{ userId: 'u', writeKey: 'k' }] }, { batch: [{ userId: 'u' }] }],
    ['track', { userId: 'u', writeKey: 'k' }, { userId: 'u' }],
    ['webhook', [{ userId: 'u' }, { userId: 'v', writeKey: 'k' }], [{ userId: 'u' }, { userId: 'v' }]],
    ['webhook', { userId: 'u', writeKey: 'k' }, { userId: 'u' }],
  ] as const)('a %s body without its write keys, and nothing else changed', (source, body, expected) => {
    expect(stored(source, body)).toEqual({ same: false, body: expected });
  });

  it('a property that happens to be named writeKey is data, and kept', () => {
    const body = { userId: 'u', event: 'E', properties: { writeKey: 'p' }, writeKey: 'k' };
    expect(stored('track', body).body).toEqual({ userId: 'u', event: 'E', properties: { writeKey: 'p' } });
  });
});
