import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createHmac } from 'node:crypto';
import { mapMessage } from '../../src/engine';
import { enrich } from '../../src/ingest/enrich';
import { remapWith } from '../../src/queue/remap';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { startApp } from '../helpers/app';
import { DeliveryApp, eventually, event, startDeliveryApp, T } from '../helpers/delivery';
import { defaultPlan } from '../helpers/engine';
import { enqueue, leaseFor } from '../helpers/queue';

describe('regressions found in review', () => {
  let sandbox: BrazeSandbox | undefined;
  let d: DeliveryApp | undefined;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
    d = undefined;
    sandbox = undefined;
  });

  it('one user with 200 pending events is delivered in requests Braze accepts, in order', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '200' });
    await request(d.url).post('/v1/batch').send({ batch: Array.from({ length: 200 }, (_, s) => event('heavy', s)) }).expect(200);
    await eventually(() => sandbox!.received.length === 200, '200 events');
    expect(sandbox.requests.every((r) => r.status === 201 && r.objects <= 75)).toBe(true);
    expect(sandbox.received.map((r) => (r.object.properties as { seq: number }).seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await d.store.stats()).deadLetters).toBe(0);
  });

  it('a store failure while settling leaves the lease to expire: the sweep puts the objects back instead of blocking the user', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_LEASE_TTL_MS: '300' });
    const store = d.store;
    const settle = store.settle.bind(store);
    let failures = 1;
    store.settle = (lease, settlement) => {
      if (failures-- > 0) return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
      return settle(lease, settlement);
    };
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0), event('u', 1)] }).expect(200);
    await eventually(async () => (await store.stats()).inboxMessages === 0 && (await store.stats()).pending === 0 && (await store.stats()).leased === 0, 'the queue to drain');
    // At-least-once: the batch whose ack failed is sent again, and nothing is stuck.
    expect(sandbox.received.length).toBeGreaterThanOrEqual(2);
  });

  it('a failure to remember alias merges does not undo the round: its objects are settled, not sent again', async () => {
    sandbox = await startBrazeSandbox();
    const app = (d = await startDeliveryApp(sandbox));
    app.store.merges.remember = () => Promise.reject(new Error('SQLITE_BUSY: database is locked'));
    const identify = { type: 'identify', userId: 'u', anonymousId: 'a', messageId: 'both-ids', traits: { plan: 'pro' } };
    await request(d.url).post('/v1/batch').send({ batch: [identify] }).expect(200);
    await eventually(async () => { const stats = await app.store.stats(); return stats.inboxMessages === 0 && stats.pending === 0 && stats.leased === 0; }, 'the round to settle');
    // Settled once: each object reached Braze exactly once, the merge among them.
    expect(sandbox.requests.filter((r) => r.status === 201).map((r) => r.endpoint).sort()).toEqual(['/users/identify', '/users/track']);
    expect(sandbox.received.filter((r) => r.endpoint === '/users/identify')).toHaveLength(1);
  });

  it('a re-mapped dead letter of an order over 75 products is the same product', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-remap-'));
    const store = new SqliteQueue(dataDir, () => Date.parse(T));
    const message = { type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId: 'big-order', properties: { products: Array.from({ length: 80 }, (_, i) => ({ product_id: `p${i}`, price: 1 })) } };
    const result = mapMessage(defaultPlan(), message);
    if (!result.ok) throw new Error('mapping failed');
    expect(result.requests).toHaveLength(2);
    await enqueue(store, [{ messageId: 'big-order', userKey: 'u', receivedAt: T, requests: result.requests, warnings: [], message }]);
    const lease = await leaseFor(store, 1000);
    const p77 = lease.items.find((i) => i.object.product_id === 'p77')!;
    await store.settle(lease, { deadLetter: [{ id: p77.id, reason: 'test', status: 400 }], ack: lease.items.filter((i) => i !== p77).map((i) => i.id) });
    const replay = await store.deadLetters.replay('all', remapWith(defaultPlan()));
    expect(replay).toEqual({ replayed: 1, skipped: [] });
    expect((await leaseFor(store, 10)).items.map((i) => i.object.product_id)).toEqual(['p77']);
    await store.close();
  });
});

describe('ingestion regressions found in review', () => {
  it('batch-level context is held to the message rules, and one bad request cannot fail its group commit', async () => {
    const d = await startDeliveryApp(null);
    try {
      const deep = JSON.parse('['.repeat(2000) + ']'.repeat(2000));
      const bad = request(d.url).post('/v1/batch').send({ batch: [event('u', 0)], context: { x: deep } });
      const proto = request(d.url).post('/v1/batch').set('Content-Type', 'application/json').send(`{"batch":[${JSON.stringify(event('u', 1))}],"context":{"__proto__":{"x":1}}}`);
      const good = request(d.url).post('/v1/batch').send({ batch: [event('v', 0)] });
      const [r1, r2, r3] = await Promise.all([bad, proto, good]);
      expect([r1.status, r1.body.error?.code]).toEqual([400, 'TOO_DEEP']);
      expect([r2.status, r2.body.error?.code]).toEqual([400, 'FORBIDDEN_KEY']);
      expect(r3.status).toBe(200);
    } finally {
      await d.close();
    }
  });

  it('a hostile webhook body with a secret set is a 401, not a 500', async () => {
    const t = await startApp({ WEBHOOK_SHARED_SECRET: 's' });
    try {
      const body = '[' + '['.repeat(200000) + ']'.repeat(200000) + ']';
      const res = await request(t.url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', createHmac('sha1', 's').update('x').digest('hex')).send(body);
      expect(res.status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('refused payloads are kept bounded, and the admin endpoint keeps working', async () => {
    const t = await startApp({ ADMIN_TOKEN: 'adm' });
    try {
      const deep = '['.repeat(100000) + ']'.repeat(100000);
      await request(t.url).post('/v1/batch').set('Content-Type', 'application/json').send(`{"batch":[${deep},${JSON.stringify(event('u', 0))},"${'x'.repeat(10000)}"]}`).expect(200);
      const res = await request(t.url).get('/v1/rejections').set('Authorization', 'Bearer adm').expect(200);
      expect(res.body.recent.map((r: { payload: unknown }) => typeof r.payload)).toEqual(['string', 'string']);
      expect(res.body.recent.every((r: { payload: string }) => r.payload.length < 4200)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a message relayed by Segment keeps its receivedAt and timestamp', () => {
    const message = { type: 'track' as const, userId: 'u', event: 'E', receivedAt: '2024-03-01T10:00:05.000Z', sentAt: '2024-03-01T10:00:05.000Z', originalTimestamp: '2024-03-01T10:00:00.000Z', timestamp: '2024-03-01T10:00:00.000Z' };
    const now = new Date('2024-03-01T12:00:00.000Z');
    const out = enrich(message, {}, { receivedAt: now, receivedAtIso: now.toISOString(), newMessageId: () => 'id' });
    expect(out).toMatchObject({ receivedAt: '2024-03-01T10:00:05.000Z', timestamp: '2024-03-01T10:00:00.000Z' });
  });
});
