import request from 'supertest';
import { basic, startApp, TestApp } from '../helpers/app';

const ok = { type: 'track', userId: 'u', event: 'E' };
const deep = (n: number) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { v };
  return v;
};

interface Case {
  name: string;
  path?: string;
  contentType?: string;
  body: string;
  status: number;
  code: string;
  /** For batches with some valid messages: the codes reported by index. */
  rejected?: [number, string][];
}

const CASES: Case[] = [
  { name: 'invalid JSON', body: '{"batch": [', status: 400, code: 'INVALID_JSON' },
  { name: 'an empty body', body: '', status: 400, code: 'INVALID_JSON' },
  { name: 'XML content type', contentType: 'application/xml', body: '<batch/>', status: 415, code: 'UNSUPPORTED_CONTENT_TYPE' },
  { name: 'form content type', contentType: 'application/x-www-form-urlencoded', body: 'a=b', status: 415, code: 'UNSUPPORTED_CONTENT_TYPE' },
  { name: 'a request over 500 KB', body: JSON.stringify({ batch: [{ ...ok, properties: { x: 'y'.repeat(520 * 1024) } }] }), status: 400, code: 'BODY_TOO_LARGE' },
  { name: 'a batch that is not an array', body: JSON.stringify({ batch: {} }), status: 400, code: 'INVALID_BODY' },
  { name: 'a body that is an array', body: JSON.stringify([ok]), status: 400, code: 'INVALID_BODY' },
  { name: 'a JSON string', body: '"hello"', status: 400, code: 'INVALID_BODY' },
  { name: 'batch context that is not an object', body: JSON.stringify({ batch: [ok], context: 'x' }), status: 400, code: 'INVALID_BODY' },
  { name: 'more than 2,500 messages', body: JSON.stringify({ batch: Array(2501).fill({}) }), status: 400, code: 'BATCH_TOO_LARGE' },
  { name: 'an empty batch', body: JSON.stringify({ batch: [] }), status: 400, code: 'NO_VALID_MESSAGE' },
  { name: 'an unknown type', path: '/v1/batch', body: JSON.stringify({ batch: [{ ...ok, type: 'purchase' }] }), status: 400, code: 'NO_VALID_MESSAGE', rejected: [[0, 'UNKNOWN_TYPE']] },
  { name: 'a message without type', body: JSON.stringify({ batch: [{ userId: 'u', event: 'E' }] }), status: 400, code: 'NO_VALID_MESSAGE', rejected: [[0, 'UNKNOWN_TYPE']] },
  { name: 'no userId or anonymousId', path: '/v1/track', body: JSON.stringify({ event: 'E' }), status: 400, code: 'MISSING_USER' },
  { name: 'an empty userId', path: '/v1/track', body: JSON.stringify({ userId: '  ', event: 'E' }), status: 400, code: 'MISSING_USER' },
  { name: 'a track without event', path: '/v1/track', body: JSON.stringify({ userId: 'u' }), status: 400, code: 'MISSING_EVENT' },
  { name: 'a group without groupId', path: '/v1/group', body: JSON.stringify({ userId: 'u' }), status: 400, code: 'MISSING_GROUP_ID' },
  { name: 'an alias without previousId', path: '/v1/alias', body: JSON.stringify({ userId: 'u' }), status: 400, code: 'MISSING_PREVIOUS_ID' },
  { name: 'traits that are a string', path: '/v1/identify', body: JSON.stringify({ userId: 'u', traits: 'x' }), status: 400, code: 'WRONG_TYPE' },
  { name: 'properties that are an array', path: '/v1/track', body: JSON.stringify({ ...ok, properties: [1] }), status: 400, code: 'WRONG_TYPE' },
  { name: 'a userId that is an object', path: '/v1/track', body: JSON.stringify({ ...ok, userId: { id: 1 } }), status: 400, code: 'WRONG_TYPE' },
  { name: 'an event that is a number', path: '/v1/track', body: JSON.stringify({ ...ok, event: 5 }), status: 400, code: 'WRONG_TYPE' },
  { name: 'a timestamp that is not a date', path: '/v1/track', body: JSON.stringify({ ...ok, timestamp: 'yesterday' }), status: 400, code: 'WRONG_TYPE' },
  { name: 'a messageId over 100 characters', path: '/v1/track', body: JSON.stringify({ ...ok, messageId: 'm'.repeat(101) }), status: 400, code: 'WRONG_TYPE' },
  { name: 'a message over 32 KB', path: '/v1/track', body: JSON.stringify({ ...ok, properties: { x: 'y'.repeat(33 * 1024) } }), status: 400, code: 'MESSAGE_TOO_LARGE' },
  { name: 'absurd nesting', path: '/v1/track', body: JSON.stringify({ ...ok, properties: deep(100) }), status: 400, code: 'TOO_DEEP' },
  { name: 'very absurd nesting', path: '/v1/track', body: `{"userId":"u","event":"E","properties":${'['.repeat(100000)}${']'.repeat(100000)}}`, status: 400, code: 'TOO_DEEP' },
  { name: 'a __proto__ key', path: '/v1/identify', body: '{"userId":"u","traits":{"__proto__":{"polluted":true}}}', status: 400, code: 'FORBIDDEN_KEY' },
  { name: 'a __proto__ key spelled with escapes', path: '/v1/identify', body: '{"userId":"u","traits":{"\\u005f_proto__":{"polluted":true}}}', status: 400, code: 'FORBIDDEN_KEY' },
  {
    name: 'a batch mixing good and bad messages',
    body: JSON.stringify({ batch: [ok, { ...ok, event: '' }, { ...ok, traits: 1 }, ok, { ...ok, properties: { x: 'y'.repeat(33 * 1024) } }] }),
    status: 200,
    code: '',
    rejected: [[1, 'MISSING_EVENT'], [2, 'WRONG_TYPE'], [4, 'MESSAGE_TOO_LARGE']],
  },
];

describe('bad input gets a precise 4xx, never a 500', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it.each(CASES.map((c) => [c.name, c]))('%s', async (_, c) => {
    const res = await request(t.url)
      .post(c.path ?? '/v1/batch')
      .set('Authorization', basic('k'))
      .set('Content-Type', c.contentType ?? 'application/json')
      .send(c.body);
    expect(res.status).toBe(c.status);
    if (c.status !== 200) {
      expect(res.body).toMatchObject({ success: false, error: { code: c.code } });
      expect(res.body.error.message.length).toBeGreaterThan(10);
    }
    if (c.rejected) expect(res.body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual(c.rejected);
  });

  it('no key of any message reaches a prototype', async () => {
    for (const body of ['{"batch":[{"type":"track","userId":"u","event":"E","properties":{"constructor":{"prototype":{"polluted":1}}}}]}', '{"batch":[{"type":"identify","userId":"u","traits":{"__proto__":{"polluted":1}}}]}']) {
      await request(t.url).post('/v1/batch').set('Content-Type', 'application/json').send(body);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unknown paths are 404 with the same error shape', async () => {
    const res = await request(t.url).post('/v1/purchase').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('the service keeps serving after every case above', async () => {
    await request(t.url).post('/v1/track').set('Authorization', basic('k')).send(ok).expect(200, { success: true });
  });
});
