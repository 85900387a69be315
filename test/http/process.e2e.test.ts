import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startFlags } from '../../bench/start-command';
import { basic } from '../helpers/app';
import { ROOT } from '../helpers/engine';
import { boot, freshDir, stop } from '../helpers/service-process';

jest.setTimeout(30_000);

describe('the service process', () => {
  it('refuses to start on invalid mappings, printing the diagnostics', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, MAPPINGS_DIR: join('test', 'fixtures', 'mappings', 'invalid', 'unknown-key.yaml') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('unknown-key.yaml:8:5 error UNKNOWN_KEY /rules/0/whn');
  });

  it('refuses to start on invalid configuration', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, PORT: 'x' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT must be an integer/);
  });

  it('SIGHUP reloads the mappings', async () => {
    const dir = freshDir('sb-hup-');
    cpSync(join(ROOT, 'mappings'), dir, { recursive: true });
    const { child, url, output } = await boot({ MAPPINGS_DIR: dir, MAPPINGS_WATCH: 'false', LOG_LEVEL: 'info', DATA_DIR: freshDir('sb-hup-data-') });
    try {
      const file = join(dir, 'braze.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/home_city/g, 'town'));
      child.kill('SIGHUP');
      const deadline = Date.now() + 10000;
      while (!/mappings reloaded \(SIGHUP\)/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const res = await request(url).post('/v1/preview').send({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } }).expect(200);
      expect(res.body.requests[0].body.attributes[0]).toEqual({ external_id: 'u', town: 'Oslo' });
    } finally {
      await stop(child);
    }
  });

  it("says its V8 heap limit at boot: npm start's 1 GB, or a note when started without a limit", async () => {
    const heapLine = async (flags: string[]) => {
      const { child, output } = await boot({ LOG_LEVEL: 'info', DATA_DIR: freshDir('sb-heap-') }, flags);
      await stop(child);
      return output().split('\n').map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg: string }).msg : '')).find((m) => m.startsWith('V8 heap limit'));
    };
    expect(startFlags(ROOT)).toContain('--max-old-space-size=1024');
    const limited = await heapLine(startFlags(ROOT));
    expect(limited).toMatch(/^V8 heap limit \d+ MB$/);
    expect(Number(/(\d+) MB/.exec(limited!)![1])).toBeLessThan(1200);
    expect(await heapLine([])).toMatch(/^V8 heap limit \d+ MB: started without --max-old-space-size \(npm start gives 1024\)/);
  });

  it('serves on its defaults, warns about open write keys, and never logs secrets', async () => {
    const secret = 'webhook-secret-value-123';
    const brazeKey = 'braze-api-key-789';
    // Braze at a closed port: delivery fails and logs its errors, which must not carry the key.
    const { child, url, output } = await boot({ LOG_LEVEL: 'info', WEBHOOK_SHARED_SECRET: secret, PORT: '0', BRAZE_REST_ENDPOINT: 'http://127.0.0.1:9', BRAZE_API_KEY: brazeKey, DELIVERY_FLUSH_MS: '20', DELIVERY_RETRY_BASE_MS: '20', DATA_DIR: freshDir('sb-secrets-') });
    try {
      expect(output()).toMatch(/SEGMENT_WRITE_KEYS is not set/);
      await request(url).post('/v1/track').set('Authorization', basic('write-key-value-456')).send({ userId: 'u', event: 'E' }).expect(200);
      const body = JSON.stringify({ type: 'track', userId: 'u', event: 'E' });
      const signature = createHmac('sha1', secret).update(body).digest('hex');
      await request(url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', signature).send(body).expect(200);
      await request(url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', 'f'.repeat(40)).send(body).expect(401);
      const deadline = Date.now() + 5000;
      while (!/will be retried/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const logs = output();
      expect(logs).toMatch(/will be retried/);
      expect(logs).not.toContain(brazeKey);
      expect(logs).toMatch(/"url":"\/v1\/track"/);
      expect(logs).not.toContain('write-key-value-456');
      expect(logs).not.toContain(Buffer.from('write-key-value-456:').toString('base64'));
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(signature);
    } finally {
      await stop(child);
    }
  });

  it('logs one line per request at info: method, path, status, time and request id, never a header, the query or a write key', async () => {
    const { child, url, output } = await boot({ LOG_LEVEL: 'info', PORT: '0', BRAZE_REST_ENDPOINT: 'http://127.0.0.1:9', BRAZE_API_KEY: 'k', DATA_DIR: freshDir('sb-access-') });
    const secrets = ['basic-key-value', 'body-key-value', 'query-key-value', 'cookie-value', 'api-key-value', 'e'.repeat(40)];
    try {
      await request(url)
        .post('/v1/batch?writeKey=query-key-value')
        .set('Authorization', basic('basic-key-value'))
        .set('Cookie', 'session=cookie-value')
        .set('X-Api-Key', 'api-key-value')
        .set('X-Signature', 'e'.repeat(40))
        .set('X-Request-Id', 'trace-1')
        .send({ batch: [{ type: 'track', userId: 'u', event: 'E' }], writeKey: 'body-key-value' })
        .expect(200);
      await request(url).post('/v1/track').set('X-Request-Id', 'x'.repeat(150)).send({ userId: 'u', event: 'E' }).expect(200);
      await request(url).post('/v1/track').send({ userId: 'u', event: 'E' }).expect(200);
      await request(url).post('/v1/track').send({ userId: 'u', event: 'E' }).expect(200);
      await request(url).get('/health/live').expect(200);
      await request(url).get('/nope').expect(404);
      const completed = () => output().split('\n').filter((l) => l.includes('"request completed"')).map((l) => JSON.parse(l));
      const deadline = Date.now() + 5000;
      while (completed().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const lines = completed();
      expect(lines).toHaveLength(5); // the healthy probe is not logged
      const [batch, long, first, second, missing] = lines;
      expect(batch).toMatchObject({ level: 30, req: { id: 'trace-1', method: 'POST', url: '/v1/batch', remoteAddress: expect.stringContaining('127.0.0.1') }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
      expect(Object.keys(batch.req).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
      expect(long.req.id).toBe('x'.repeat(100));
      expect(first.req.id).toEqual(expect.any(String));
      expect(first.req.id).not.toBe(second.req.id);
      expect(missing).toMatchObject({ level: 40, req: { method: 'GET', url: '/nope' }, res: { statusCode: 404 } });
      for (const value of [...secrets, Buffer.from('basic-key-value:').toString('base64')]) expect(output()).not.toContain(value);
    } finally {
      await stop(child);
    }
  });
});
