import request from 'supertest';
import { httpLogging } from '../../src/observability/http-logging';
import { startApp, TestApp } from '../helpers/app';

const SETTINGS = (apiKey: string) => ({ integrations: { 'Segment.io': { apiKey } }, edgeFunction: {}, middlewareSettings: {}, enabledMiddleware: {}, metrics: { sampleRate: 0 }, remotePlugins: [] });

describe('the settings the SDKs fetch from their CDN host (GET /v1/projects/<writeKey>/settings)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: 'wk-1,wk-2' });
  });
  afterAll(() => t.close());

  it('a configured write key gets this service as its only destination, with no apiHost to override the SDK’s own', async () => {
    const res = await request(t.url).get('/v1/projects/wk-2/settings').set('Content-Type', 'application/json; charset=utf-8').expect(200);
    expect(res.body).toEqual(SETTINGS('wk-2'));
    // analytics.js 2.0 fetches it from the page's origin: a simple GET, allowed from any origin by default.
    expect((await request(t.url).get('/v1/projects/wk-1/settings').set('Origin', 'https://shop.example.com')).headers['access-control-allow-origin']).toBe('*');
  });

  it('another key is a 404 that does not echo it', async () => {
    const res = await request(t.url).get('/v1/projects/not-a-key/settings').expect(404);
    expect(res.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'no source has that write key' } });
  });

  it('without SEGMENT_WRITE_KEYS every key gets its settings', async () => {
    const open = await startApp();
    try {
      expect((await request(open.url).get('/v1/projects/anything/settings').expect(200)).body).toEqual(SETTINGS('anything'));
    } finally {
      await open.close();
    }
  });

  it('the request log names the path without the write key', () => {
    const { req } = httpLogging('info').serializers as unknown as { req: (r: object) => { url: string } };
    const line = (url: string) => req({ method: 'GET', url, socket: {} }).url;
    expect(line('/v1/projects/wk-secret/settings')).toBe('/v1/projects/:writeKey/settings');
    expect(line('/V1/Projects/wk-secret/settings?x=1')).toBe('/V1/Projects/:writeKey/settings');
    expect(line('//v1/projects/wk-secret/settings')).toBe('//v1/projects/:writeKey/settings');
    expect(line('/v1//projects/wk-secret/settings')).toBe('/v1//projects/:writeKey/settings');
    expect(line('/v1/batch')).toBe('/v1/batch');
  });

  it('a 404 for a path that carries a write key does not echo it', async () => {
    const open = await startApp();
    try {
      for (const path of ['/v1/projects/wk-secret/settings/extra', '//v1/projects/wk-secret/settings', '/v1//projects/wk-secret/settings']) {
        const answer = await request(open.url).get(path);
        expect(answer.status).toBe(404);
        expect(answer.text).not.toContain('wk-secret');
      }
    } finally {
      await open.close();
    }
  });
});
