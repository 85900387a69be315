import { createHmac } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { basic, startApp, TestApp } from '../helpers/app';

const T = '2024-03-01T12:00:00.000Z';
const track = (extra: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event: 'E', timestamp: T, ...extra });

describe('ingestion over HTTP', () => {
  let t: TestApp;
  const now = new Date('2024-03-01T12:00:10.000Z');
  beforeAll(async () => {
    t = await startApp({}, () => now);
  });
  afterAll(() => t.close());
  const post = (path: string) => request(t.url).post(path).set('Authorization', basic('any'));

  it('accepts application/json and text/plain, answering {"success": true}', async () => {
    await post('/v1/track').send({ userId: 'u1', event: 'A', messageId: 'ct-1' }).expect(200, { success: true });
    await post('/v1/track').set('Content-Type', 'text/plain').send(JSON.stringify({ userId: 'u1', event: 'B', messageId: 'ct-2' })).expect(200, { success: true });
    const names = t.queue.messages.filter((m) => m.messageId.startsWith('ct-')).map((m) => (m.requests[0].body.events as { name: string }[])[0].name);
    expect(names).toEqual(['A', 'B']);
  });

  it('the endpoint sets the type, and the body writeKey is not kept in the message', async () => {
    await request(t.url).post('/v1/identify').send({ userId: 'u9', traits: { plan: 'x' }, writeKey: 'k', type: 'track', messageId: 'ep-1' }).expect(200);
    const queued = t.queue.messages.find((m) => m.messageId === 'ep-1')!;
    expect(queued.requests).toEqual([{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u9', plan: 'x' }] } }]);
    expect(JSON.stringify(queued.message)).not.toContain('writeKey');
  });

  it('a write key inside each message of a batch (analytics.js batching) is not kept with the message', async () => {
    const batch = { writeKey: 'k', batch: [1, 2].map((n) => ({ type: 'track', userId: 'u9', event: 'E', writeKey: 'k', messageId: `wk-${n}` })) };
    await request(t.url).post('/v1/batch').send(batch).expect(200);
    const kept = t.queue.messages.filter((m) => m.messageId.startsWith('wk-'));
    expect(kept).toHaveLength(2);
    for (const message of kept) expect(JSON.stringify(message.message)).not.toContain('writeKey');
  });

  it('stamps receivedAt, assigns a messageId, and corrects the timestamp for clock skew', async () => {
    // The client's clock is 1 hour fast: sentAt and originalTimestamp are both an hour ahead.
    const batch = { batch: [{ type: 'track', userId: 'u1', event: 'Skewed', timestamp: '2024-03-01T13:00:00.000Z' }], sentAt: '2024-03-01T13:00:05.000Z' };
    await post('/v1/batch').send(batch).expect(200);
    const queued = t.queue.messages.at(-1)!;
    expect(queued.messageId).toMatch(/^sb-[0-9a-f-]{36}-\d+$/);
    expect(queued.receivedAt).toBe('2024-03-01T12:00:10.000Z');
    expect((queued.requests[0].body.events as { time: string }[])[0].time).toBe('2024-03-01T12:00:05.000Z');
  });

  it('merges batch-level context and integrations into each message', async () => {
    await post('/v1/preview').send({ batch: [{ type: 'identify', userId: 'u', context: { ip: '1.2.3.4' } }], context: { library: { name: 'x' }, ip: 'batch' } }).expect(200);
    // The preview shows the merge without queueing: the mapping reads the merged message.
    const res = await post('/v1/preview').send({ batch: [{ type: 'identify', userId: 'u' }], context: { traits: { id: 'ctx' } } }).expect(200);
    expect(res.body.results).toHaveLength(1);
  });

  it('a retried batch (same messageIds) is queued once', async () => {
    const body = { batch: [track({ messageId: 'dup-1' }), track({ messageId: 'dup-2' })] };
    await post('/v1/batch').send(body).expect(200, { success: true });
    await post('/v1/batch').send(body).expect(200, { success: true });
    expect(t.queue.messages.filter((m) => m.messageId.startsWith('dup-'))).toHaveLength(2);
  });

  it('a batch of 100 messages over 100 KB (Nest’s default limit) is accepted', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => track({ messageId: `big-${i}`, properties: { blob: 'x'.repeat(1500) } }));
    const body = JSON.stringify({ batch });
    expect(body.length).toBeGreaterThan(150_000);
    await post('/v1/batch').set('Content-Type', 'application/json').send(body).expect(200, { success: true });
    expect(t.queue.messages.filter((m) => m.messageId.startsWith('big-'))).toHaveLength(100);
  });

  it('takes gzip and deflate bodies, and holds the 500 KB limit after decompression', async () => {
    // fetch, not supertest: superagent serialises a Buffer sent as JSON.
    const send = async (encoding: string, bytes: Buffer) => {
      const res = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: basic('any') }, body: new Uint8Array(bytes) });
      return { status: res.status, body: await res.json() };
    };
    const body = JSON.stringify({ batch: [track({ messageId: 'gz-1' }), track({ messageId: 'gz-2' })] });
    expect(await send('gzip', gzipSync(body))).toEqual({ status: 200, body: { success: true } });
    expect(await send('deflate', deflateSync(JSON.stringify({ batch: [track({ messageId: 'gz-3' })] })))).toEqual({ status: 200, body: { success: true } });
    expect(t.queue.messages.filter((m) => m.messageId.startsWith('gz-')).map((m) => m.messageId)).toEqual(['gz-1', 'gz-2', 'gz-3']);
    // 600 KB of JSON that compresses to a few KB: refused by what it inflates to.
    const bomb = gzipSync(JSON.stringify({ batch: [track({ properties: { x: 'y'.repeat(600 * 1024) } })] }));
    expect(bomb.length).toBeLessThan(10_000);
    expect(await send('gzip', bomb)).toMatchObject({ status: 400, body: { error: { code: 'BODY_TOO_LARGE' } } });
    expect(await send('br', Buffer.from(body))).toEqual({ status: 400, body: { success: false, error: { code: 'INVALID_BODY', message: 'the body could not be read: unsupported content encoding "br"' } } });
    expect(await send('gzip', Buffer.from(body))).toMatchObject({ status: 400, body: { error: { code: 'INVALID_BODY' } } });
  });

  it('in a batch, valid messages are accepted and each invalid one is reported by index and recorded', async () => {
    const res = await post('/v1/batch')
      .send({ batch: [track({ messageId: 'mix-0' }), { type: 'track', userId: 'u1' }, track({ messageId: 'mix-2' }), { type: 'bogus', userId: 'u' }] })
      .expect(200);
    expect(res.body).toEqual({
      success: true,
      rejected: [
        { index: 1, code: 'MISSING_EVENT', message: expect.any(String) },
        { index: 3, code: 'UNKNOWN_TYPE', message: expect.any(String) },
      ],
    });
    expect(t.queue.messages.filter((m) => m.messageId.startsWith('mix-'))).toHaveLength(2);
    const recorded = t.rejections.recent(2);
    expect(recorded.map((r) => [r.source, r.index, r.code])).toEqual([
      ['batch', 3, 'UNKNOWN_TYPE'],
      ['batch', 1, 'MISSING_EVENT'],
    ]);
    expect(recorded[1].payload).toEqual({ type: 'track', userId: 'u1' });
  });

  it('a batch with no valid message is a 400 with the reasons by index', async () => {
    const res = await post('/v1/batch').send({ batch: [{ type: 'group', userId: 'u' }, 'x'] }).expect(400);
    expect(res.body).toEqual({
      success: false,
      error: { code: 'NO_VALID_MESSAGE', message: expect.any(String) },
      rejected: [
        { index: 0, code: 'MISSING_GROUP_ID', message: expect.any(String) },
        { index: 1, code: 'NOT_AN_OBJECT', message: expect.any(String) },
      ],
    });
  });

  it('CORS: browsers may call the API from any origin by default', async () => {
    const res = await request(t.url).options('/v1/batch').set('Origin', 'https://shop.example.com').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type,authorization');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
  });

  it('preview maps with a trace and queues nothing', async () => {
    const before = t.queue.messages.length;
    const single = await post('/v1/preview').send({ type: 'identify', userId: 'u', messageId: 'pv', traits: { address: { city: 'Oslo' } } }).expect(200);
    expect(single.body).toEqual({
      messageId: 'pv',
      requests: [{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', home_city: 'Oslo' }] } }],
      trace: {
        rules: [{ name: 'identify-traits', file: expect.stringMatching(/braze\.yaml$/) }],
        unmatched: [
          { name: 'merge-anonymous-profile', file: expect.stringMatching(/braze\.yaml$/), reason: 'condition', condition: expect.any(Object), saw: { type: 'identify', userId: 'u', anonymousId: null } },
        ],
        fields: [{ rule: 'identify-traits', output: 'attributes', field: 'home_city', source: 'traits.address.city' }],
        // The default mapping sends identify traits as changes only; the body above is what Braze would get.
        attributes: [{ request: 0, index: 0, changesOnly: { alwaysSent: [] } }],
      },
    });
    const batch = await post('/v1/preview').send({ batch: [track(), { type: 'track', userId: 'u' }] }).expect(200);
    expect(batch.body.results).toHaveLength(2);
    expect(batch.body.results[0].requests[0].endpoint).toBe('/users/track');
    expect(batch.body.results[1].error.code).toBe('MISSING_EVENT');
    expect(t.queue.messages.length).toBe(before);
  });
});

describe('write keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: 'key-one, key-two' });
  });
  afterAll(() => t.close());

  it.each([
    ['no credentials', {}, undefined, 401],
    ['a wrong Basic key', { Authorization: basic('key-three') }, undefined, 401],
    ['a Bearer token', { Authorization: 'Bearer key-one' }, undefined, 401],
    ['the second key as Basic user', { Authorization: basic('key-two') }, undefined, 200],
    ['the first key in the body', {}, 'key-one', 200],
    ['a wrong key in the body', {}, 'key-on', 401],
  ])('%s → %i', async (_, headers, writeKey, status) => {
    const res = await request(t.url).post('/v1/batch').set(headers).send({ batch: [track()], ...(writeKey ? { writeKey } : {}) });
    expect(res.status).toBe(status);
    if (status === 401) expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(res.body)).not.toMatch(/key-(one|two|three|on)/);
  });

  it('preview takes the same auth', async () => {
    await request(t.url).post('/v1/preview').send(track()).expect(401);
    await request(t.url).post('/v1/preview').set('Authorization', basic('key-one')).send(track()).expect(200);
  });
});

describe('the webhook destination', () => {
  const secret = 'shh-its-a-secret';
  const sign = (body: string) => createHmac('sha1', secret).update(body).digest('hex');
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ WEBHOOK_SHARED_SECRET: secret, SEGMENT_WRITE_KEYS: 'wk' });
  });
  afterAll(() => t.close());
  const hook = (body: string, signature?: string) => {
    const r = request(t.url).post('/v1/webhook').set('Content-Type', 'application/json').set('User-Agent', 'Segment.io/1.0');
    return (signature === undefined ? r : r.set('X-Signature', signature)).send(body);
  };

  it('accepts one message signed over the raw body', async () => {
    const body = JSON.stringify(track({ messageId: 'wh-1' }));
    await hook(body, sign(body)).expect(200, { success: true });
    expect(t.queue.messages.map((m) => m.messageId)).toContain('wh-1');
  });

  it('accepts an array (Actions batching) signed whole, or signed on its first message', async () => {
    const messages = [track({ messageId: 'wh-2' }), track({ messageId: 'wh-3' })];
    const body = JSON.stringify(messages);
    await hook(body, sign(body)).expect(200);
    const again = JSON.stringify([track({ messageId: 'wh-4' })]);
    await hook(again, sign(JSON.stringify(track({ messageId: 'wh-4' })))).expect(200);
    expect(t.queue.messages.map((m) => m.messageId)).toEqual(expect.arrayContaining(['wh-2', 'wh-3', 'wh-4']));
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'a'.repeat(40)],
    ['not hex', 'zz'],
    ['signed with another secret', createHmac('sha1', 'other').update(JSON.stringify(track())).digest('hex')],
  ])('refuses a %s signature with 401, even with a valid write key', async (_, signature) => {
    const body = JSON.stringify(track());
    const res = await hook(body, signature).set('Authorization', basic('wk'));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(res.body)).not.toContain(secret);
  });

  it('a body changed after signing is refused', async () => {
    const body = JSON.stringify(track());
    await hook(body.replace('"E"', '"F"'), sign(body)).expect(401);
  });

  it('without a secret, the webhook takes a write key', async () => {
    const open = await startApp({ SEGMENT_WRITE_KEYS: 'wk' });
    try {
      await request(open.url).post('/v1/webhook').send(track()).expect(401);
      await request(open.url).post('/v1/webhook').set('Authorization', basic('wk')).send(track()).expect(200);
      await request(open.url).put('/v1/webhook').set('Authorization', basic('wk')).send([track(), track()]).expect(200);
    } finally {
      await open.close();
    }
  });
});
