import { Logger } from '@nestjs/common';
import request from 'supertest';
import { BrazeSandbox, SandboxRequest, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, event, scrape, startDeliveryApp } from '../helpers/delivery';

// Rate-limit windows are waited out for real (up to a few seconds), on a loaded machine too.
jest.setTimeout(30_000);

/** The answers of current Braze accounts (shared/reference, limits and responses), against the sandbox with Braze's current limits. */
describe('current Braze accounts', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
  });
  const send = (batch: unknown[]) => request(d.url).post('/v1/batch').send({ batch }).expect(200);
  const track = () => sandbox.requests.filter((r) => r.endpoint === '/users/track');
  const seqs = (userId: string) => sandbox.received.filter((r) => r.object.external_id === userId && r.array === 'events').map((r) => (r.object.properties as { seq: number }).seq);
  const settled = async () => (await d.store.stats()).pending === 0 && (await d.store.stats()).leased === 0;
  const identify = (userId: string) => ({ type: 'identify', userId, messageId: `id-${userId}`, traits: { plan: 'pro' } });
  /** 100 users, an event and an attributes object each: 200 /users/track objects. */
  const twoHundredObjects = () => Array.from({ length: 100 }, (_, i) => [event(`u${i}`, 0), identify(`u${i}`)]).flat();

  it.each([
    // 37 users of two objects: the 38th would make 76, and a user's objects of a round share one request.
    ['the default, 75 combined', {}, {}, 74],
    ['a 50-object plan', { trackArray: 50, trackCombined: 50 }, { BRAZE_TRACK_BATCH_SIZE: '50' }, 50],
    ['legacy limits, 75 per array', { trackCombined: null }, { BRAZE_TRACK_BATCH_SHAPE: 'per-array' }, 150],
  ])('packs requests the account accepts: %s', async (_, limits, env, largest) => {
    sandbox = await startBrazeSandbox({ limits });
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300', ...env });
    await send(twoHundredObjects());
    await eventually(async () => sandbox.received.length === 200 && (await settled()), '200 objects');
    expect(track().map((r) => r.status)).toEqual(track().map(() => 201));
    expect(Math.max(...track().map((r) => r.objects))).toBe(largest);
    expect((await d.store.stats()).deadLetters).toBe(0);
  });

  it('the legacy shape against a current account: 400 Max Input Length Exceeded, split until it fits, nothing lost', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300', BRAZE_TRACK_BATCH_SHAPE: 'per-array' });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await send(twoHundredObjects());
    await eventually(async () => sandbox.received.length === 200 && (await settled()), '200 objects');
    const hints = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('Max Input Length Exceeded'));
    warn.mockRestore();
    expect(hints[0]).toMatch(/is BRAZE_TRACK_BATCH_SHAPE or BRAZE_TRACK_BATCH_SIZE over what the account allows/);
    expect(track().filter((r) => r.status === 400).every((r) => r.objects > 75)).toBe(true);
    expect(track().filter((r) => r.status === 400).length).toBeGreaterThan(0);
    expect((await d.store.stats()).deadLetters).toBe(0);
  });

  it('one bad object among 75: 74 delivered, 1 dead letter with Braze’s reason, in 13 requests', async () => {
    sandbox = await startBrazeSandbox();
    sandbox.inject({ kind: 'fatal-object', match: { name: 'Poison' }, message: 'Invalid event: Poison', count: -1 });
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300' });
    // Five users, 15 events each; the last event of u4 is the bad one, last in the request.
    await send(Array.from({ length: 75 }, (_, i) => event(`u${i % 5}`, Math.floor(i / 5), i === 74 ? { event: 'Poison', messageId: 'bad' } : {})));
    await eventually(async () => (await d.store.stats()).deadLetters === 1 && (await settled()), 'the bad object to be dead-lettered');
    expect(sandbox.received).toHaveLength(74);
    expect(d.store.db.prepare('SELECT message_id, reason, status FROM dead_letters').all()).toEqual([{ message_id: 'bad', reason: 'Braze: Invalid event: Poison', status: 400 }]);
    // 75 → 37 → 18 → 9 → 4 → 2 → 1: the whole request, then at each of 6 levels a good left half and the right half holding the bad object.
    expect(track().map((r) => [r.status, r.objects])).toEqual([[400, 75], ...[[38, 37], [19, 18], [9, 9], [5, 4], [2, 2], [1, 1]].flatMap(([good, rest]) => [[201, good], [400, rest]])]);
    for (let u = 0; u < 4; u++) expect(seqs(`u${u}`)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(seqs('u4')).toEqual(Array.from({ length: 14 }, (_, i) => i));
  });

  it('a split stops at shutdown: no half goes out once delivery stops, and what it had not sent is delivered after the restart', async () => {
    sandbox = await startBrazeSandbox();
    sandbox.inject({ kind: 'fatal-object', match: { name: 'Poison' }, message: 'Invalid event: Poison', count: -1 });
    // Each answer takes 2 s: the stop below comes while the left half is in flight, however loaded the machine.
    sandbox.inject({ kind: 'slow', delayMs: 2000, count: -1 });
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300' });
    await send(Array.from({ length: 75 }, (_, i) => event(`u${i % 5}`, Math.floor(i / 5), i === 74 ? { event: 'Poison', messageId: 'bad' } : {})));
    // The 400 is recorded as it is answered; the left half is in flight once the sandbox holds a request again.
    await eventually(() => track().some((r) => r.status === 400) && sandbox.inFlight === 1, 'the left half to be in flight after the whole request was refused');
    await d.delivery.worker.stop(); // the left half is answered, the right half is never sent
    expect(track().map((r) => [r.status, r.objects])).toEqual([[400, 75], [201, 38]]);
    const dataDir = d.dataDir;
    await d.close();
    sandbox.clearFaults();
    sandbox.inject({ kind: 'fatal-object', match: { name: 'Poison' }, message: 'Invalid event: Poison', count: -1 });
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300' }, dataDir);
    await eventually(async () => (await d.store.stats()).deadLetters === 1 && (await settled()), 'the rest after the restart');
    expect(sandbox.received).toHaveLength(74);
  });

  it('a split keeps each user’s order when a half must wait: a 429 there holds the other half behind it, until the reset', async () => {
    sandbox = await startBrazeSandbox({ rateLimit: { limit: 3000, windowMs: 1000 } });
    sandbox.inject({ kind: 'fatal-object', match: { name: 'Poison' }, count: -1 });
    sandbox.inject({ kind: 'slow', delayMs: 0, count: 1 }); // the whole request passes the faults, to be refused for the bad object
    sandbox.inject({ kind: 'status', status: 429, count: 1 }); // then the first half is rate limited
    d = await startDeliveryApp(sandbox, { DELIVERY_FLUSH_MS: '300' });
    // u2's objects straddle the first split (objects 0–37 | 38–74): its later ones must not overtake its earlier ones.
    await send(Array.from({ length: 75 }, (_, i) => event(`u${i % 5}`, Math.floor(i / 5), i === 74 ? { event: 'Poison', messageId: 'bad' } : {})));
    await eventually(async () => (await d.store.stats()).deadLetters === 1 && (await settled()), 'delivery around the 429 and the bad object');
    for (let u = 0; u < 4; u++) expect(seqs(`u${u}`)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(seqs('u4')).toEqual(Array.from({ length: 14 }, (_, i) => i));
    const limited = track().findIndex((r) => r.status === 429);
    expect(track()[limited]).toMatchObject({ objects: 38 });
    const reset = Number(track()[limited].headers['X-RateLimit-Reset']) * 1000;
    expect(track().slice(limited + 1).every((r) => r.at >= reset)).toBe(true);
  });

  it('a 429 (Braze sends no Retry-After) waits for X-RateLimit-Reset: the budget is shared with another sender', async () => {
    // A window long enough that the service's request surely falls in it, on a loaded machine too.
    sandbox = await startBrazeSandbox({ rateLimit: { limit: 3, windowMs: 2500 } });
    d = await startDeliveryApp(sandbox);
    // Another process with the same key spends the window's budget.
    const other = () => fetch(`${sandbox.url}/users/track`, { method: 'POST', headers: { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' }, body: JSON.stringify({ events: [{ external_id: 'x', name: 'E', time: '2024-03-01T12:00:00Z' }] }) });
    for (let i = 0; i < 3; i++) expect((await other()).status).toBe(201);
    await send([event('u', 0)]);
    await eventually(() => sandbox.received.length === 4, 'the event after the 429');
    const [limited, next] = track().slice(3) as [SandboxRequest, SandboxRequest];
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.headers).map((h) => h.toLowerCase())).not.toContain('retry-after');
    expect(next.status).toBe(201);
    expect(next.at).toBeGreaterThanOrEqual(Number(limited.headers['X-RateLimit-Reset']) * 1000);
  });

  it('202 queued (Braze under maintenance) is a success: delivered once, not retried', async () => {
    sandbox = await startBrazeSandbox();
    sandbox.inject({ kind: 'queued', count: 1 });
    d = await startDeliveryApp(sandbox);
    await send([event('u', 0), event('u', 1)]);
    await eventually(async () => d.delivery.worker.counters.objectsDelivered === 2 && (await settled()), 'the queued objects to settle');
    expect(track().map((r) => r.status)).toEqual([202]);
    expect(seqs('u')).toEqual([0, 1]);
    expect(d.delivery.worker.counters.objectsRetried).toBe(0);
    expect((await d.store.stats()).deadLetters).toBe(0);
  });

  it.each([401, 404] as const)('a wrong key answered %i pauses delivery, delivery_paused reads 1 on /metrics, and 0 once the key works', async (status) => {
    sandbox = await startBrazeSandbox({ apiKey: 'the-real-key', unknownKeyStatus: status });
    d = await startDeliveryApp(sandbox);
    expect(await scrape(d.url, 'segment_braze_delivery_paused{endpoint="/users/track"}')).toBe(0);
    await send([event('u', 0), event('u', 1)]);
    await eventually(() => d.delivery.worker.status === 'paused', 'the worker to pause');
    expect(d.delivery.worker.pauseReason).toMatch(status === 404 ? /^HTTP 404: Unknown REST API Key/ : /^HTTP 401: Invalid API Key/);
    expect(await scrape(d.url, 'segment_braze_delivery_paused{endpoint="/users/track"}')).toBe(1);
    await request(d.url).get('/health/delivery').expect(503);
    expect(await d.store.stats()).toMatchObject({ pending: 2, deadLetters: 0 });
    sandbox.apiKey = 'sandbox-key';
    await eventually(async () => (await scrape(d.url, 'segment_braze_delivery_paused{endpoint="/users/track"}')) === 0, 'delivery_paused to read 0');
    await eventually(async () => sandbox.received.length === 2 && (await settled()), 'delivery after the key works');
    expect(seqs('u')).toEqual([0, 1]);
  });

  it('a 404 for a bad path is not a key problem: the request is refused, delivery goes on', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { BRAZE_REST_ENDPOINT: `${sandbox.url}/wrong-prefix` });
    await send([event('u', 0)]);
    await eventually(async () => (await d.store.stats()).deadLetters === 1, 'a dead letter');
    expect(d.store.db.prepare('SELECT reason, status FROM dead_letters').get()).toEqual({ reason: 'HTTP 404: Not Found', status: 404 });
    expect(d.delivery.worker.status).toBe('running');
  });
});
