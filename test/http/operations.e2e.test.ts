import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MappingWatcher } from '../../src/mapping/mapping-watcher';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, scrape, startDeliveryApp } from '../helpers/delivery';
import { ROOT } from '../helpers/engine';

const identify = { type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } };

function mappingCopy(): { dir: string; file: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-live-'));
  cpSync(join(ROOT, 'mappings'), dir, { recursive: true });
  const file = join(dir, 'braze.yaml');
  return { dir, file, text: readFileSync(file, 'utf8') };
}

describe('live mapping reload', () => {
  let d: DeliveryApp;
  afterEach(() => d?.close());
  const preview = async () => (await request(d.url).post('/v1/preview').send(identify).expect(200)).body.requests[0].body.attributes[0];
  const status = async () => (await request(d.url).get('/v1/mappings').expect(200)).body;

  it('an edit is picked up; an invalid or half-written file is refused while the last good plan serves', async () => {
    const { dir, file, text } = mappingCopy();
    d = await startDeliveryApp(null, { MAPPINGS_DIR: dir, MAPPINGS_DEBOUNCE_MS: '30' });
    expect((await status()).watching).toBe(true);
    expect(await preview()).toEqual({ external_id: 'u', home_city: 'Oslo' });
    expect(await status()).toMatchObject({ version: 1, files: [{ file: expect.stringMatching(/braze\.yaml$/), rules: 8 }], lastRefused: null });

    writeFileSync(file, text.replace(/home_city/g, 'city'));
    let body: Record<string, unknown> = {};
    for (const deadline = Date.now() + 5000; Date.now() < deadline && !('city' in body); ) body = await preview();
    expect(body).toEqual({ external_id: 'u', city: 'Oslo' });
    const reloaded = await status();
    expect(reloaded.version).toBe(2);

    writeFileSync(file, text.replace(/home_city/g, 'city').replace('transform: gender', 'transform: gendr'));
    let refused = await status();
    for (const deadline = Date.now() + 5000; Date.now() < deadline && refused.lastRefused === null; ) refused = await status();
    expect(refused.version).toBe(2);
    expect(refused.lastRefused.diagnostics).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_TRANSFORM', pointer: '/rules/1/attributes/fields/gender/transform', line: expect.any(Number) }));
    expect(await preview()).toEqual({ external_id: 'u', city: 'Oslo' });
    await request(d.url).get('/health/ready').expect(200);

    // A half-written file: wait for its refusal (a new count of refused reloads), then the old plan must still serve.
    const refusedReloads = () => scrape(d.url, 'segment_braze_mapping_reloads_total{result="refused"}');
    const refusedBefore = await refusedReloads();
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    await eventually(async () => (await refusedReloads()) > refusedBefore, 'the half-written file to be refused');
    expect((await status()).lastRefused.diagnostics.length).toBeGreaterThan(0);
    expect(await preview()).toEqual({ external_id: 'u', city: 'Oslo' });
    expect((await status()).version).toBe(2);

    writeFileSync(file, text);
    let restored = await status();
    for (const deadline = Date.now() + 5000; Date.now() < deadline && restored.version !== 3; ) restored = await status();
    expect(restored).toMatchObject({ version: 3, lastRefused: null });
    expect(await preview()).toEqual({ external_id: 'u', home_city: 'Oslo' });

    const metrics = (await request(d.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^segment_braze_mapping_reloads_total\{result="applied"\} 2$/m);
    expect(Number(/^segment_braze_mapping_reloads_total\{result="refused"\} (\d+)$/m.exec(metrics)![1])).toBeGreaterThanOrEqual(2);
  });

  it('with watching off, nothing changes until a reload is asked for', async () => {
    const { dir, file, text } = mappingCopy();
    d = await startDeliveryApp(null, { MAPPINGS_DIR: dir, MAPPINGS_WATCH: 'false' });
    // Nothing is armed that could reload by itself: no file watch, no periodic check.
    expect((await status()).watching).toBe(false);
    writeFileSync(file, text.replace(/home_city/g, 'town'));
    expect(await preview()).toEqual({ external_id: 'u', home_city: 'Oslo' });
    await d.app.get(MappingWatcher).reload('test');
    expect(await preview()).toEqual({ external_id: 'u', town: 'Oslo' });
  });
});

describe('health and metrics', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
  });

  it('while Braze rejects the key, readiness stays up (the service still accepts) and /health/delivery is down; both up once it works', async () => {
    sandbox = await startBrazeSandbox({ apiKey: 'another-key' });
    d = await startDeliveryApp(sandbox);
    await request(d.url).get('/health/live').expect(200);
    await request(d.url).get('/health/ready').expect(200);
    await request(d.url).get('/health/delivery').expect(200);
    await request(d.url).post('/v1/track').send({ userId: 'u', event: 'E' }).expect(200);
    await eventually(() => d.delivery.worker.status === 'paused', 'the pause');
    const ready = await request(d.url).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { delivery: { status: 'up', delivery: 'paused' } } });
    await request(d.url).post('/v1/track').send({ userId: 'v', event: 'E' }).expect(200);
    const down = await request(d.url).get('/health/delivery').expect(503);
    expect(down.body).toMatchObject({ status: 'error', error: { braze: { status: 'down', paused: { '/users/track': expect.stringMatching(/401/) } } } });
    sandbox.apiKey = 'sandbox-key';
    await eventually(() => d.delivery.worker.status === 'running', 'the resume');
    await request(d.url).get('/health/delivery').expect(200);
    await eventually(() => sandbox.received.length === 2, 'both events delivered');
  });

  it('a scrape shows the counters moving, with low-cardinality labels', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    await request(d.url).post('/v1/batch').send({ batch: [{ type: 'track', userId: 'u', event: 'Secret Event Name', messageId: 'a' }, { type: 'identify', userId: 'u', traits: { x: 1 } }, { type: 'track', userId: 'u' }] }).expect(200);
    await request(d.url).post('/v1/batch').send({ batch: [{ type: 'track', userId: 'u', event: 'E', messageId: 'a' }] }).expect(200);
    await eventually(() => sandbox.received.length === 2, 'delivery');
    await eventually(() => d.delivery.worker.counters.objectsDelivered === 2, 'settling');
    const text = (await request(d.url).get('/metrics').expect(200)).text;
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('segment_braze_messages_received_total{endpoint="batch"}')).toBe(4);
    // Acknowledged: the retried "a" too; it is found to be a duplicate when the inbox is expanded.
    expect(value('segment_braze_messages_accepted_total{type="track"}')).toBe(2);
    expect(value('segment_braze_messages_accepted_total{type="identify"}')).toBe(1);
    expect(value('segment_braze_messages_rejected_total{reason="MISSING_EVENT"}')).toBe(1);
    expect(value('segment_braze_messages_duplicate_total')).toBe(1);
    expect(value('segment_braze_braze_objects_mapped_total{kind="events"}')).toBe(2);
    expect(value('segment_braze_braze_requests_total{endpoint="/users/track",status_class="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(value('segment_braze_braze_objects_delivered_total')).toBe(2);
    expect(value('segment_braze_queue_depth')).toBe(0);
    expect(value('segment_braze_inbox_messages')).toBe(0);
    expect(text).toMatch(/^segment_braze_braze_request_duration_seconds_bucket\{le="0\.1",endpoint="\/users\/track"\} \d+$/m);
    expect(text).not.toContain('Secret Event Name');
    expect(text).not.toMatch(/user="|userId|external_id/);
  });

  it('serves the OpenAPI description', async () => {
    d = await startDeliveryApp(null);
    const doc = (await request(d.url).get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/batch', '/v1/webhook', '/v1/preview', '/v1/{type}', '/health/ready', '/metrics', '/v1/mappings']));
    await request(d.url).get('/docs').expect(200);
  });
});
