import { checkMessage } from '../../src/ingest/message-check';

const ok = { type: 'track', userId: 'u', event: 'E' };
const deep = (n: number) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { v };
  return v;
};

/** Each member the checks know, with a value of the wrong type. Unrolled in the source, so each needs its own case. */
const WRONG: [string, unknown][] = [
  ['context', 'x'],
  ['integrations', [true]],
  ['traits', 1],
  ['properties', [1]],
  ['userId', { id: 1 }],
  ['anonymousId', true],
  ['groupId', []],
  ['previousId', {}],
  ['event', 5],
  ['name', {}],
  ['category', false],
  ['messageId', ''],
  ['timestamp', 'yesterday'],
  ['originalTimestamp', 1700000000000],
  ['sentAt', '2024-02-30T00:00:00Z'],
  ['receivedAt', null],
];

describe('checkMessage', () => {
  it.each(WRONG)('refuses a %s of the wrong type, naming it', (key, value) => {
    const verdict = checkMessage(JSON.parse(JSON.stringify({ ...ok, [key]: value })), true);
    expect(verdict).toEqual({ ok: false, code: 'WRONG_TYPE', message: expect.stringMatching(new RegExp(`^${key} must be`)) });
  });

  it('reports the first member in its fixed order, whatever the key order of the message', () => {
    const verdict = checkMessage({ timestamp: 'soon', event: 5, type: 'track', userId: 'u', context: 'x' }, true);
    expect(verdict).toMatchObject({ code: 'WRONG_TYPE', message: 'context must be an object' });
  });

  it('accepts the members at their loosest: null objects and ids, numeric ids, any ISO-8601 form', () => {
    const message = { ...ok, context: null, traits: null, anonymousId: 7, groupId: null, name: null, timestamp: '2024-01-01T10:00:00+02:00', sentAt: '2024-01-01' };
    expect(checkMessage(message, true)).toEqual({ ok: true, message });
  });

  it('walks own members only: what an object inherits is neither measured nor refused', () => {
    const properties = Object.create({ inherited: deep(100) }) as Record<string, unknown>;
    properties.own = 1;
    expect(checkMessage({ ...ok, properties }, true).ok).toBe(true);
    expect(checkMessage({ ...ok, properties: { own: deep(100) } }, true)).toMatchObject({ ok: false, code: 'TOO_DEEP' });
  });
});

describe('checkMessage, the times a message may carry', () => {
  it.each([
    ['timestamp', '1969-12-31T23:59:59.999Z'],
    ['timestamp', '0000-01-01T00:30:00+01:00'],
    ['originalTimestamp', '9999-12-31T23:30:00-01:00'],
    ['receivedAt', '0500-01-01'],
  ])('refuses a %s of %s (outside 1970–9999 UTC) with TIME_OUT_OF_RANGE', (key, value) => {
    expect(checkMessage({ ...ok, [key]: value }, true)).toEqual({ ok: false, code: 'TIME_OUT_OF_RANGE', message: expect.stringMatching(new RegExp(`^${key} must lie from 1970-01-01 to 9999-12-31`)) });
  });

  it.each([
    ['timestamp', '1970-01-01T00:00:00.000Z'],
    ['timestamp', '9999-12-31T23:59:59.999Z'],
    // sentAt only measures the clock: enrich decides whether the skew it implies is believable.
    ['sentAt', '0001-01-01T00:00:00Z'],
  ])('accepts a %s of %s', (key, value) => {
    expect(checkMessage({ ...ok, [key]: value }, true)).toMatchObject({ ok: true });
  });
});
