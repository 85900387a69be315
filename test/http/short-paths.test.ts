import request from 'supertest';
import { SHORT_PATHS } from '../../src/ingest/endpoints';
import { basic, startApp, TestApp } from '../helpers/app';

const T = '2024-03-01T12:00:00.000Z';

/** One valid message per type, as the long endpoint takes it. */
const BODIES: Record<string, Record<string, unknown>> = {
  identify: { userId: 'u1', anonymousId: 'a1', traits: { firstName: 'Ada', plan: 'pro' }, timestamp: T },
  track: { userId: 'u1', event: 'Song Played', properties: { title: 'Blue' }, timestamp: T },
  page: { anonymousId: 'a2', name: 'Pricing', properties: { path: '/pricing' }, timestamp: T },
  screen: { userId: 'u1', name: 'Home', timestamp: T },
  group: { userId: 'u1', groupId: 'acme', timestamp: T },
  alias: { userId: 'u1', previousId: 'a3', timestamp: T },
};
const BATCH = { batch: [{ type: 'track', userId: 'u2', event: 'Step', timestamp: T }, { type: 'identify', userId: 'u2', traits: { plan: 'x' }, timestamp: T }] };

describe('Segment’s short paths, each served as its long form', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: 'wk' });
  });
  afterAll(() => t.close());

  /** The answer and the Braze requests queued for one request. */
  async function outcome(path: string, body: unknown, key = 'wk') {
    const before = t.queue.messages.length;
    const res = await request(t.url).post(path).set('Authorization', basic(key)).set('Content-Type', 'text/plain').send(JSON.stringify(body));
    return { status: res.status, body: res.body, requests: t.queue.messages.slice(before).map((m) => m.requests) };
  }

  it.each(Object.entries(SHORT_PATHS))('/v1/%s answers and queues exactly what /v1/%s does', async (short, long) => {
    const body = long === 'batch' ? BATCH : BODIES[long];
    const expected = await outcome(`/v1/${long}`, body);
    expect(expected).toMatchObject({ status: 200, body: { success: true } });
    expect(expected.requests.length).toBeGreaterThan(0);
    expect(await outcome(`/v1/${short}`, body)).toEqual(expected);
  });

  it.each([
    ['t', 'track', { userId: 'u1' }],
    ['b', 'batch', { batch: [{ type: 'track', userId: 'u1', event: 'ok', timestamp: T }, { type: 'group', userId: 'u1' }] }],
    ['b', 'batch', { batch: 'no' }],
  ])('refusals are the same too: /v1/%s as /v1/%s for %j', async (short, long, body) => {
    const expected = await outcome(`/v1/${long}`, body);
    expect(expected.status === 400 || expected.body.rejected !== undefined).toBe(true);
    expect(await outcome(`/v1/${short}`, body)).toEqual(expected);
  });

  it('the same write key check: a wrong key is 401 on a short path and nothing is queued', async () => {
    expect(await outcome('/v1/t', BODIES.track, 'not-the-key')).toEqual({ status: 401, body: { success: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } }, requests: [] });
    // analytics.js 2.0 also puts the key in the body: that alone is enough.
    const res = await request(t.url).post('/v1/i').set('Content-Type', 'text/plain').send(JSON.stringify({ ...BODIES.identify, writeKey: 'wk' }));
    expect(res.status).toBe(200);
  });

  it('the SDKs’ usage counters on /v1/m get a plain success, without a write key, and nothing is queued', async () => {
    const before = t.queue.messages.length;
    const series = { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: { type: 'track', library: 'analytics.js', library_version: 'npm:next-1.84.3' } }] };
    await request(t.url).post('/v1/m').set('Content-Type', 'text/plain').send(JSON.stringify(series)).expect(200, { success: true });
    expect(t.queue.messages.length).toBe(before);
  });

  it('a path that is no endpoint is still a 404', async () => {
    for (const path of ['/v1/x', '/v1/tr', '/v1/purchase']) {
      const res = await request(t.url).post(path).set('Authorization', basic('wk')).send(BODIES.track);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
  });

  it('the OpenAPI document lists the short forms with their long ones', async () => {
    const doc = (await request(t.url).get('/docs-json').expect(200)).body;
    const single = doc.paths['/v1/{type}'].post;
    expect(single.parameters.find((p: { name: string }) => p.name === 'type').schema.enum).toEqual(['identify', 'i', 'track', 't', 'page', 'p', 'screen', 's', 'group', 'g', 'alias', 'a']);
    expect(single.description).toContain('/v1/i, /v1/t, /v1/p, /v1/s, /v1/g, /v1/a');
    expect(doc.paths['/v1/batch'].post.description).toContain('/v1/b,');
    expect(doc.paths['/v1/m'].post.summary).toMatch(/usage counters/);
  });
});

describe('CORS preflight for the browser SDK', () => {
  const preflight = (url: string, origin: string) =>
    request(url).options('/v1/t').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization,content-type,x-retry-count');

  it('allows every header analytics.js 2.0 sends, X-Retry-Count included', async () => {
    const t = await startApp();
    try {
      const res = await preflight(t.url, 'https://shop.example.com');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(',');
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-retry-count']));
    } finally {
      await t.close();
    }
  });

  it('keeps CORS_ORIGINS: a listed origin is allowed, another is not', async () => {
    const t = await startApp({ CORS_ORIGINS: 'https://shop.example.com' });
    try {
      expect((await preflight(t.url, 'https://shop.example.com')).headers['access-control-allow-origin']).toBe('https://shop.example.com');
      expect((await preflight(t.url, 'https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
