import request from 'supertest';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, event, scrape, startDeliveryApp } from '../helpers/delivery';

jest.setTimeout(60_000);

const PROBE_MS = 300;
const paused = (endpoint: string) => `segment_braze_delivery_paused{endpoint="${endpoint}"}`;

/**
 * A key without the `users.identify` permission: Braze refuses /users/identify only. Delivery
 * pauses that endpoint alone, probes it once per period, and every user whose work is not
 * behind a held identify object is delivered meanwhile.
 */
describe('a key that lacks one endpoint’s permission', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
  });

  const send = (batch: unknown[]) => request(d.url).post('/v1/batch').send({ batch }).expect(200);
  const received = (endpoint: string, user: string) => sandbox.received.filter((r) => r.endpoint === endpoint && (r.object.external_id === user || (r.object as { external_id?: string }).external_id === user));
  const identifyRequests = () => sandbox.requests.filter((r) => r.endpoint === '/users/identify');

  it('pauses /users/identify only: the other users’ 400 track events are delivered (0 before: every round held only refused merges), the merges wait with their users’ later work, one probe per period, and all of it goes once the permission is granted', async () => {
    sandbox = await startBrazeSandbox({ missingPermissionStatus: 401 });
    sandbox.denied.add('users.identify');
    d = await startDeliveryApp(sandbox, { DELIVERY_PAUSE_PROBE_MS: String(PROBE_MS) });
    // A hundred users who identify with an anonymous id (a merge, then their attributes), then send an event:
    // more than a round of 75 holds, so a round that leased the queue's head would hold nothing but refused merges.
    const merging = Array.from({ length: 100 }, (_, i) => `m${i}`);
    await send(merging.flatMap((user) => [{ type: 'identify', userId: user, anonymousId: `anon-${user}`, messageId: `id-${user}`, traits: { plan: 'pro' } }, event(user, 0)]));
    await eventually(() => identifyRequests().some((r) => r.status === 401), 'Braze to refuse /users/identify');
    // Then a hundred other users, four events each.
    const others = Array.from({ length: 100 }, (_, i) => `u${i}`);
    await send(others.flatMap((user) => [0, 1, 2, 3].map((seq) => event(user, seq))));

    await eventually(() => sandbox.received.filter((r) => r.array === 'events' && others.includes(r.object.external_id as string)).length === 400, 'the other users’ 400 events', 30_000);
    expect(d.delivery.worker.pauses).toEqual(new Map([['/users/identify', 'HTTP 401: Invalid API Key']]));
    expect(await scrape(d.url, paused('/users/identify'))).toBe(1);
    expect(await scrape(d.url, paused('/users/track'))).toBe(0);
    // Behind their held merge, the merging users' attributes and events wait; nothing is dead-lettered.
    for (const user of merging) expect(received('/users/track', user)).toEqual([]);
    expect(await d.store.stats()).toMatchObject({ pending: 300, deadLetters: 0 });
    // Readiness is about accepting; /health/delivery tells the monitor.
    await request(d.url).get('/health/ready').expect(200);
    const delivery = await request(d.url).get('/health/delivery').expect(503);
    expect(delivery.body.error.braze).toMatchObject({ status: 'down', paused: { '/users/identify': 'HTTP 401: Invalid API Key' } });

    // Probes: one /users/identify request per probe period (the held objects are deferred a period each time);
    // only the first round's requests, sent before any answer came back, go out together.
    const before = identifyRequests().length;
    await eventually(() => identifyRequests().length >= before + 4, 'four more probes', 20_000);
    const at = identifyRequests().slice(before - 1).map((r) => r.at);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(PROBE_MS - 5);
    expect(identifyRequests().every((r) => r.status === 401)).toBe(true);

    sandbox.denied.delete('users.identify');
    await eventually(async () => (await d.store.stats()).pending === 0, 'the held work to be delivered', 20_000);
    expect(d.delivery.worker.pauses.size).toBe(0);
    expect(await scrape(d.url, paused('/users/identify'))).toBe(0);
    await request(d.url).get('/health/delivery').expect(200);
    for (const user of merging) {
      expect(received('/users/identify', user)).toHaveLength(1);
      // In acceptance order: the merge, then the attributes, then the event.
      const order = sandbox.received.filter((r) => r.object.external_id === user).map((r) => r.array);
      expect(order).toEqual(['aliases_to_identify', 'attributes', 'events']);
    }
    expect((await d.store.stats()).deadLetters).toBe(0);
  });
});
