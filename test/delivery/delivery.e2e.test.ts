import { Logger } from '@nestjs/common';
import request from 'supertest';
import { startBrazeSandbox, BrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, event, scrape, startDeliveryApp, T } from '../helpers/delivery';

const seqs = (sandbox: BrazeSandbox, userId: string) => sandbox.received.filter((r) => r.object.external_id === userId && r.array === 'events').map((r) => (r.object.properties as { seq: number }).seq);

describe('delivery to the Braze sandbox', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
  });
  const send = (batch: unknown[]) => request(d.url).post('/v1/batch').send({ batch }).expect(200);

  it('delivers every object, packed into full requests, each user in order', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300' });
    const users = Array.from({ length: 10 }, (_, i) => `user-${i}`);
    for (let chunk = 0; chunk < 3; chunk++) {
      const steps = Array.from({ length: 10 }, (_, i) => chunk * 10 + i);
      await send(steps.flatMap((s) => users.map((u) => event(u, s))));
    }
    await eventually(() => sandbox.received.length === 300, '300 events');
    for (const u of users) expect(seqs(sandbox, u)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(sandbox.requests.every((r) => r.status === 201 && r.objects <= 75)).toBe(true);
    // 300 events fit in 4 requests of 75; a few more are fine while batches fill.
    expect(sandbox.requests.length).toBeLessThanOrEqual(8);
    await eventually(async () => (await d.store.stats()).leased === 0, 'the last responses to settle');
    expect(await d.store.stats()).toMatchObject({ pending: 0, leased: 0, deadLetters: 0 });
  });

  it('an order without products is counted as dropped with its code, never lost silently', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    const order = (messageId: string, products?: unknown[]) => ({ type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId, properties: products ? { products } : {} });
    await send([order('no-products'), order('unusable', [{ sku: 'S1' }]), order('empty', []), order('full', [{ sku: 'S1', price: 5 }]), event('u', 0)]);
    await send([order('no-products')]); // a retry: a duplicate, not a second drop
    const metric = (sample: string) => scrape(d.url, `segment_braze_${sample}`);
    await eventually(() => sandbox.received.length === 2, 'the purchase and the event');
    await eventually(async () => (await metric('messages_duplicate_total')) === 1, 'the retry to be expanded');
    expect(await metric('messages_dropped_total{code="EACH_EMPTY"}')).toBe(2);
    expect(await metric('messages_dropped_total{code="ALL_ITEMS_SKIPPED"}')).toBe(1);
    expect(await metric('messages_dropped_total{code="NO_OBJECTS"}')).toBe(0);
    // Six accepted: two reached Braze, one was a duplicate, three were dropped with a code.
    expect(await metric('messages_accepted_total{type="track"}')).toBe(6);
    expect(sandbox.received.map((r) => r.array).sort()).toEqual(['events', 'purchases']);
    expect(await d.store.stats()).toMatchObject({ deadLetters: 0 });
  });

  it('keeps per-user order across 5xx retries and dropped connections', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    sandbox.inject({ kind: 'status', status: 503, count: 3 });
    sandbox.inject({ kind: 'drop', count: 2 });
    for (let s = 0; s < 20; s++) await send([event('a', s), event('b', s)]);
    await eventually(() => sandbox.received.length === 40, '40 events');
    expect(seqs(sandbox, 'a')).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seqs(sandbox, 'b')).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(sandbox.requests.filter((r) => r.status === 503)).toHaveLength(3);
    expect(d.delivery.worker.counters.objectsRetried).toBeGreaterThan(0);
  });

  it('dead-letters the objects Braze names in errors[], says so in the log, and does not re-send the rest', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '200' });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await send([event('u', 0), { type: 'identify', userId: 'u', messageId: 'long', traits: { bio: 'x'.repeat(300) } }, event('u', 1), { type: 'track', userId: 'v', event: 'E', timestamp: '2024-03-01T12:00:00.000Z', messageId: 'q', properties: {} }]);
    await eventually(async () => (await d.store.stats()).deadLetters === 1 && (await d.store.stats()).pending === 0 && (await d.store.stats()).leased === 0, 'the bad object to be dead-lettered');
    const dead = d.store.db.prepare('SELECT message_id, reason, status FROM dead_letters').all();
    expect(dead).toEqual([{ message_id: 'long', reason: expect.stringMatching(/^Braze: Invalid custom attribute: "bio" is longer than 255/), status: 201 }]);
    expect(sandbox.received).toHaveLength(3);
    expect(sandbox.requests.filter((r) => r.status === 201).reduce((n, r) => n + r.objects, 0)).toBe(4);
    const lines = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('dead-lettered'));
    warn.mockRestore();
    expect(lines).toEqual([expect.stringMatching(/^Braze refused 1 of 4 objects of a \/users\/track request \(HTTP 201\), dead-lettered: 1× Braze: Invalid custom attribute: "bio" is longer than 255/)]);
    expect(lines.join()).not.toContain('sandbox-key');
  });

  it('a 400 dead-letters the request with Braze’s reason', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    sandbox.inject({ kind: 'status', status: 400, count: 1, body: { message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields." } });
    await send([event('u', 0)]);
    await eventually(async () => (await d.store.stats()).deadLetters === 1, 'a dead letter');
    expect(d.store.db.prepare('SELECT reason FROM dead_letters').get()).toEqual({ reason: expect.stringContaining('HTTP 400: Valid data must be provided') });
    expect(sandbox.received).toHaveLength(0);
  });

  it('a 429 with a Retry-After (a proxy may add one; Braze does not) holds every request until then', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    sandbox.inject({ kind: 'status', status: 429, count: 1, retryAfter: 1 });
    const started = Date.now();
    await send([event('u', 0)]);
    await eventually(() => sandbox.received.length === 1, 'the event after the 429');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sandbox.requests.map((r) => r.status)).toEqual([429, 201]);
  });

  it('an alias merge already done is not sent again', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    const identify = (n: number) => ({ type: 'identify', userId: 'u', anonymousId: 'a', messageId: `i-${n}`, traits: { n } });
    await send([identify(1)]);
    await eventually(() => sandbox.received.length === 2, 'first identify');
    await send([identify(2), identify(3)]);
    await eventually(() => sandbox.received.filter((r) => r.array === 'attributes').length === 3, 'the attributes');
    await eventually(async () => (await d.store.stats()).pending === 0, 'the queue to drain');
    expect(sandbox.received.filter((r) => r.endpoint === '/users/identify')).toHaveLength(1);
    expect(d.delivery.worker.counters.mergesSkipped).toBe(2);
  });

  it('dry-run builds the requests and keeps them, sending nothing, and counts them apart from delivered objects', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(null);
    await send([event('u', 0), event('v', 0)]);
    await eventually(async () => (await d.store.dryRuns.list(10)).items.length === 1 && (await d.store.stats()).pending === 0, 'a dry-run record');
    expect((await d.store.dryRuns.list(10)).items[0]).toMatchObject({ endpoint: '/users/track', body: { events: [{ external_id: 'u', name: 'Step' }, { external_id: 'v', name: 'Step' }] } });
    expect(sandbox.requests).toHaveLength(0);
    await eventually(async () => (await scrape(d.url, 'segment_braze_braze_objects_dry_run_total')) === 2, 'the dry-run counter');
    expect(await scrape(d.url, 'segment_braze_braze_objects_delivered_total')).toBe(0);
    expect(await scrape(d.url, 'segment_braze_braze_requests_total{endpoint="/users/track",status_class="dry_run"}')).toBe(1);
  });

  it('deduplication survives a restart', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    await send([event('u', 0)]);
    await eventually(() => sandbox.received.length === 1, 'first delivery');
    const dataDir = d.dataDir;
    await d.close();
    d = await startDeliveryApp(sandbox, {}, dataDir);
    await send([event('u', 0), event('u', 1)]);
    await eventually(() => sandbox.received.length === 2, 'second delivery');
    // Settled: nothing left in the inbox, queued or in flight that could still arrive.
    await eventually(async () => { const s = await d.store.stats(); return s.inboxMessages === 0 && s.pending === 0 && s.leased === 0; }, 'the store to settle');
    expect(await scrape(d.url, 'segment_braze_messages_duplicate_total')).toBe(1);
    expect(seqs(sandbox, 'u')).toEqual([0, 1]);
  });

  it('shutdown finishes the request in flight and leaves nothing leased', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    sandbox.inject({ kind: 'slow', delayMs: 300, count: 1 });
    await send([event('u', 0)]);
    await eventually(async () => (await d.store.stats()).leased === 1, 'a request in flight', 2000);
    const dataDir = d.dataDir;
    await d.close();
    expect(sandbox.received).toHaveLength(1);
    d = await startDeliveryApp(null, {}, dataDir);
    expect(await d.store.stats()).toMatchObject({ pending: 0, leased: 0 });
  });
});
