import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, event, scrape, startDeliveryApp } from '../helpers/delivery';

jest.setTimeout(60_000);

const stalled = (loop: string) => `segment_braze_loop_stalled{loop="${loop}"}`;

/**
 * A loop that stops making progress (the expansion failing every transaction, the worker
 * failing every round or stuck in one) shows on /health/delivery and the metrics, is logged
 * once, and clears when its cause goes; readiness stays up throughout.
 */
describe('stalls show in /health/delivery and the metrics', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  let db: Database.Database;
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });
  afterEach(async () => {
    errors.mockRestore();
    db?.close();
    await d?.close();
    await sandbox?.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { STALL_AFTER_MS: '1000', ...env });
    // A second connection to the service's own store, to make one kind of write fail as a broken store would.
    db = new Database(join(d.dataDir, 'segment-braze.db'));
    db.pragma('busy_timeout = 5000');
  };
  const health = () => request(d.url).get('/health/delivery');
  const logged = (pattern: RegExp) => errors.mock.calls.filter(([line]) => pattern.test(String(line))).length;

  it('the expansion failing every transaction: stalled with its error, ready all the same, and back once the store writes again', async () => {
    await start();
    db.exec(`CREATE TRIGGER refuse_work BEFORE INSERT ON work BEGIN SELECT RAISE(ABORT, 'the store refuses writes'); END`);
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0), event('u', 1)] }).expect(200);
    // On a loaded machine the thread's first failure may come after STALL_AFTER_MS ("no progress" until then): wait for the error to be named.
    await eventually(async () => /failing for/.test((await health()).body.error?.expansion?.reason ?? ''), '/health/delivery to report the stall with its error');
    const down = (await health()).body;
    expect(down.error.expansion).toMatchObject({ status: 'down', stalled: true, reason: expect.stringMatching(/^failing for \d+ s: .*the store refuses writes/) });
    expect(down.info.delivery).toMatchObject({ status: 'up', stalled: false });
    expect(await scrape(d.url, stalled('expansion'))).toBe(1);
    expect(await scrape(d.url, stalled('delivery'))).toBe(0);
    await request(d.url).get('/health/ready').expect(200);
    await request(d.url).post('/v1/track').send(event('v', 0)).expect(200); // still accepting

    db.exec('DROP TRIGGER refuse_work');
    await eventually(() => sandbox.received.length === 3, 'the accepted events delivered', 20_000);
    await eventually(async () => (await health()).status === 200, '/health/delivery to recover');
    expect((await health()).body.info.expansion).toMatchObject({ stalled: false, lastError: { message: expect.stringMatching(/the store refuses writes/) } });
    expect(await scrape(d.url, stalled('expansion'))).toBe(0);
    expect(logged(/inbox expansion STALLED/)).toBe(1);
  });

  it('the worker failing every round: stalled, and back once leasing works again', async () => {
    await start();
    db.exec(`CREATE TRIGGER refuse_lease BEFORE INSERT ON leases BEGIN SELECT RAISE(ABORT, 'no lease today'); END`);
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0)] }).expect(200);
    await eventually(async () => (await health()).status === 503, '/health/delivery to report the stall');
    expect((await health()).body.error.delivery).toMatchObject({ stalled: true, reason: expect.stringMatching(/no lease today/) });
    expect(await scrape(d.url, stalled('delivery'))).toBe(1);
    await request(d.url).get('/health/ready').expect(200);

    db.exec('DROP TRIGGER refuse_lease');
    await eventually(() => sandbox.received.length === 1, 'the event delivered', 20_000);
    await eventually(async () => (await health()).status === 200, '/health/delivery to recover');
    expect(await scrape(d.url, stalled('delivery'))).toBe(0);
    expect(logged(/delivery STALLED/)).toBe(1);
  });

  it('a round that does not end (Braze answering after 4 s): stalled while it waits, back when the answer comes', async () => {
    await start({ BRAZE_TIMEOUT_MS: '20000' });
    sandbox.inject({ kind: 'slow', delayMs: 4000, count: 1 });
    await request(d.url).post('/v1/track').send(event('u', 0)).expect(200);
    await eventually(() => sandbox.inFlight === 1, 'the request to be in flight');
    await eventually(async () => (await scrape(d.url, stalled('delivery'))) === 1, 'the stall to show');
    expect((await health()).body.error.delivery).toMatchObject({ stalled: true, reason: expect.stringMatching(/^no progress for \d+ s$/) });
    await eventually(() => sandbox.received.length === 1, 'the answer', 20_000);
    await eventually(async () => (await scrape(d.url, stalled('delivery'))) === 0, 'the recovery');
    await request(d.url).get('/health/delivery').expect(200);
  });

  it('an idle service is not stalled, however long it rests', async () => {
    await start({ DELIVERY_FLUSH_MS: '1000' });
    await request(d.url).post('/v1/track').send(event('u', 0)).expect(200);
    await eventually(() => sandbox.received.length === 1, 'the event delivered');
    // Resting longer than STALL_AFTER_MS, between empty rounds (the worker backs off to 5 s) and with the expansion waiting for appends.
    const until = Date.now() + 3000;
    await eventually(async () => {
      expect((await health()).status).toBe(200);
      return Date.now() > until;
    }, 'three seconds of rest', 10_000);
  });
});
