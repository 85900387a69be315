import { classify } from '../../src/delivery/braze-response';
import { REDACTED, secretScrubber } from '../../src/delivery/scrub-secrets';

const KEY = 'b7e0c1d2-4f3a-4e5b-9c8d-0123456789ab';
const scrub = secretScrubber([KEY]);

describe('the secret scrubber', () => {
  it.each([
    ['the key as text, in any case', `key ${KEY.toUpperCase()} rejected`],
    ['an echoed header line', `authorization: Bearer ${KEY}`],
    ['an echoed header in JSON', JSON.stringify({ message: 'Invalid API Key', headers: { Authorization: `Bearer ${KEY}` } })],
    ['JSON inside a JSON string', JSON.stringify({ message: JSON.stringify({ authorization: `Bearer ${KEY}` }) })],
  ])('removes %s', (_, text) => {
    const scrubbed = scrub(text);
    expect(scrubbed.toLowerCase()).not.toContain(KEY);
    expect(scrubbed).toContain(REDACTED);
  });

  it.each([
    ['any bearer token', 'Bearer abcdefghijklmnop', 'Bearer [redacted]'],
    ['another scheme in an Authorization header', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: [redacted]'],
    ['an api_key field', '{"api_key":"secret-123"}', '{"api_key":"[redacted]"}'],
  ])('removes %s, not knowing the key', (_, text, expected) => {
    expect(secretScrubber([])(text)).toBe(expected);
  });

  it('keeps what Braze says and JSON parseable', () => {
    const body = JSON.stringify({ message: 'Unknown REST API Key', errors: [{ type: 'Invalid event', input_array: 'events', index: 2 }] });
    expect(scrub(body)).toBe(body);
    expect(JSON.parse(scrub(JSON.stringify({ h: `Bearer ${KEY}` })))).toEqual({ h: 'Bearer [redacted]' });
  });
});

describe('an answer cut at the body limit', () => {
  it('is classified by its status, with a note', () => {
    expect(classify({ status: 503, headers: {}, body: '{"message":"Serv', cutAt: 65536 }, 0)).toMatchObject({ kind: 'retry', reason: 'HTTP 503 (body cut at 65536 bytes): {"message":"Serv' });
    expect(classify({ status: 401, headers: {}, body: 'x', cutAt: 65536 }, 0)).toMatchObject({ kind: 'pause' });
  });

  it('a cut 2xx counts as delivered (Braze took the request; sending it again would store its events twice) and says its errors[] went unread', () => {
    expect(classify({ status: 201, headers: {}, body: '{"message":"success","errors":[{"type":"x","input_array":"events","index":0}', cutAt: 65536 }, 0)).toEqual({
      kind: 'delivered',
      failed: [],
      note: 'HTTP 201 (body cut at 65536 bytes): any objects its errors[] named were not dead-lettered',
    });
  });
});
