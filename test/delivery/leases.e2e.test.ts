import { Logger } from '@nestjs/common';
import request from 'supertest';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, event, eventually, startDeliveryApp } from '../helpers/delivery';

/** The one lease in the store, as its row says. */
const onlyLease = (d: DeliveryApp) => d.store.db.prepare<[], { owner: string; expires_at: number }>('SELECT owner, expires_at FROM leases').get();

describe("the worker's leases", () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    jest.restoreAllMocks();
    await d?.close();
    await sandbox?.close();
  });
  const drained = async () => ((s) => s.pending === 0 && s.leased === 0)(await d.store.stats());

  it('a request slower than the lease TTL keeps its lease: extended while in flight, never swept, sent once', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { DELIVERY_LEASE_TTL_MS: '300' });
    sandbox.inject({ kind: 'slow', delayMs: 1500, count: 1 });
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0)] }).expect(200);
    await eventually(() => onlyLease(d) !== undefined, 'the lease');
    const first = onlyLease(d)!;
    expect(first.owner).toMatch(/:\d+:[0-9a-f]{8}$/); // host:pid:random, this instance
    await eventually(() => Date.now() > first.expires_at + 300 && sandbox.received.length === 0, 'the first expiry to pass, the request still in flight');
    expect(await d.store.sweep()).toBe(0);
    expect(onlyLease(d)!.expires_at).toBeGreaterThan(first.expires_at);
    await eventually(async () => sandbox.received.length === 1 && (await drained()), 'the delivery to settle');
    expect(sandbox.requests).toHaveLength(1);
  });

  it('a lease swept from under a request in flight: its settlement is refused and said, and the object is sent again, not lost', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    sandbox.inject({ kind: 'slow', delayMs: 800, count: 1 });
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0)] }).expect(200);
    await eventually(() => onlyLease(d) !== undefined, 'the lease');
    // As another instance's sweep would, once the lease had expired.
    d.store.db.prepare('UPDATE leases SET expires_at = 0').run();
    expect(await d.store.sweep()).toBe(1);
    await eventually(async () => sandbox.received.length === 2 && (await drained()), 'the object to be sent again');
    expect(warn.mock.calls.map(([message]) => String(message))).toContainEqual(expect.stringMatching(/settlement was refused \(lease \d+ expired/));
    expect(await d.store.stats()).toMatchObject({ deadLetters: 0 });
  });
});
