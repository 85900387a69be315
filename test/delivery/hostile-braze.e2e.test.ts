import request from 'supertest';
import { LocalBudget } from '../../src/delivery/local-budget';
import { MAX_BUDGET_WAIT_MS } from '../../src/queue/ports/braze-budget.port';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, event, startDeliveryApp } from '../helpers/delivery';

jest.setTimeout(60_000);

/** Braze answering in ways that used to stop delivery: the service bounds each of them. */
describe('a hostile Braze', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    jest.restoreAllMocks();
    await d?.close();
    await sandbox?.close();
  });
  const send = (batch: unknown[]) => request(d.url).post('/v1/batch').send({ batch }).expect(200);
  const delivered = () => new Set(sandbox.received.map((r) => r.object.external_id + '/' + String((r.object.properties as { seq: number }).seq)));

  it('an answer dripped one byte every 200 ms is cut at BRAZE_TIMEOUT_MS and retried: every lane held by one, delivery still goes on', async () => {
    const deadlineMs = 1000;
    sandbox = await startBrazeSandbox();
    // Headers at once, then a 1,000-byte body over 200 s: each byte well inside any idle timeout.
    sandbox.inject({ kind: 'drip', intervalMs: 200, bytes: 1000, count: 4 });
    d = await startDeliveryApp(sandbox, { BRAZE_TIMEOUT_MS: String(deadlineMs), DELIVERY_CONCURRENCY: '4', BRAZE_TRACK_BATCH_SIZE: '25', DELIVERY_FLUSH_MS: '300' });
    await send(Array.from({ length: 200 }, (_, i) => event(`u${i}`, 0)));
    await eventually(() => delivered().size === 200, 'all 200 objects delivered after the dripped answers', 30_000);
    const dripped = sandbox.requests.filter((r) => r.bodyBytes !== undefined);
    expect(dripped).toHaveLength(4);
    for (const r of dripped) {
      const tookMs = r.closedAt! - r.at;
      // The client hung up at its deadline: far from the 200 s the drip would take, and not before the deadline was near.
      expect(tookMs).toBeGreaterThanOrEqual(deadlineMs * 0.8);
      expect(tookMs).toBeLessThan(deadlineMs + 5000);
      expect(r.bodyBytes).toBeLessThan(1000);
    }
    expect(d.delivery.worker.counters.objectsRetried).toBeGreaterThan(0);
    expect((await d.store.stats()).deadLetters).toBe(0);
  });

  it('one X-RateLimit-Remaining: 0 with a reset 1,000,000 s ahead holds the next request at most MAX_BUDGET_WAIT_MS (an hour), never overflowing a timer', async () => {
    sandbox = await startBrazeSandbox();
    sandbox.inject({ kind: 'rate-limit', remaining: 0, resetInSeconds: 1_000_000, count: 1 });
    // The waits the budget hands the worker, as computed (an hour cannot be waited out in a test).
    const take = jest.spyOn(LocalBudget.prototype, 'take');
    const overflow = jest.fn();
    process.on('warning', overflow);
    d = await startDeliveryApp(sandbox);
    await send([event('u0', 0)]);
    await eventually(() => sandbox.received.length === 1, 'the first object');
    await send([event('u1', 0)]);
    await eventually(async () => {
      const waits = await Promise.all(take.mock.results.map((r) => r.value as Promise<number>));
      return waits.some((w) => w > 0);
    }, 'the worker to be told to wait');
    const waits = await Promise.all(take.mock.results.map((r) => r.value as Promise<number>));
    const longest = Math.max(...waits);
    // Braze asked for 1,000,000 s (11.6 days); the worker waits the cap, which setTimeout can hold (2^31 ms is 24.8 days, 1e9 ms overflows it).
    expect(longest).toBeLessThanOrEqual(MAX_BUDGET_WAIT_MS);
    expect(longest).toBeGreaterThan(MAX_BUDGET_WAIT_MS - 60_000);
    expect(sandbox.received).toHaveLength(1);
    // The wait is cut short by a stop: the held object goes back to the queue, not lost.
    await d.delivery.worker.stop();
    process.off('warning', overflow);
    expect(overflow.mock.calls.map(([w]) => String((w as Error).name))).not.toContain('TimeoutOverflowWarning');
    expect(await d.store.stats()).toMatchObject({ pending: 1, leased: 0 });
  });
});
