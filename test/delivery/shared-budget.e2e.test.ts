import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { BrazeRequest } from '../../src/engine';
import { BrazeReply } from '../../src/delivery/braze-response';
import { BrazeSender } from '../../src/delivery/braze-sender';
import { DeliveryWorker, WorkerOptions } from '../../src/delivery/delivery.worker';
import { HttpBrazeSender } from '../../src/delivery/http-braze.sender';
import { LocalBudget } from '../../src/delivery/local-budget';
import { trackLimits } from '../../src/delivery/pack';
import { BrazeBudget, MAX_BUDGET_WAIT_MS } from '../../src/queue/ports/braze-budget.port';
import { WorkQueue } from '../../src/queue/ports/work-queue.port';
import { RedisBrazeBudget } from '../../src/queue/redis/redis-braze-budget';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { MemoryWorkQueue } from '../helpers/memory-work-queue';
import { enqueue, identify, track } from '../helpers/queue';
import { dropKeys, freshPrefix, openRedisQueue } from '../helpers/redis';

// Two delivery instances on one Redis, sending to one sandbox with one key: one Braze budget.

const SILENT = { log: () => undefined, warn: () => undefined, error: () => undefined };
const PROBE_MS = 250;

/** One instance's delivery: a worker on its queue and budget, with what it sent and every rate-limit wait it was told. */
interface Instance {
  readonly worker: DeliveryWorker;
  readonly queue: WorkQueue;
  /** Each request as it went out: when, and whether this instance had delivery paused (only a probe goes out then). */
  readonly sent: { at: number; paused: boolean }[];
  readonly waits: number[];
}

describe('one Braze budget for every instance on a Redis', () => {
  let sandbox: BrazeSandbox;
  const senders: HttpBrazeSender[] = [];
  const workers: DeliveryWorker[] = [];
  const queues: RedisWorkQueue[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    for (const sender of senders.splice(0)) sender.close();
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await Promise.all(prefixes.splice(0).map((prefix) => dropKeys(prefix)));
    await sandbox?.close();
  });

  /** A Redis connection pair (as a queue on `prefix`), closed and its keys dropped after the test. */
  async function redisQueue(prefix: string): Promise<RedisWorkQueue> {
    const queue = await openRedisQueue(() => Date.now(), prefix);
    queues.push(queue);
    prefixes.push(prefix);
    return queue;
  }

  /** The budget under `prefix`, on the connections of `queue`. */
  async function budgetOn(queue: RedisWorkQueue, prefix: string): Promise<RedisBrazeBudget> {
    const budget = new RedisBrazeBudget(queue.client, queue.subscriber, prefix, () => Date.now());
    await budget.start();
    return budget;
  }

  function instance(queue: WorkQueue, budget: BrazeBudget, options: Partial<WorkerOptions> = {}, sender?: BrazeSender): Instance {
    const http = new HttpBrazeSender(new HttpService(axios.create()), { endpoint: sandbox.url, apiKey: 'sandbox-key', timeoutMs: 10_000, maxSockets: 8 });
    senders.push(http);
    const sent: Instance['sent'] = [];
    const waits: number[] = [];
    const recording: BrazeSender = {
      dryRun: false,
      send: (request: BrazeRequest) => {
        sent.push({ at: Date.now(), paused: worker.status === 'paused' });
        return (sender ?? http).send(request);
      },
    };
    const all: WorkerOptions = { flushMs: 20, concurrency: 2, limits: trackLimits('combined', 75), maxAttempts: 100, pauseProbeMs: PROBE_MS, retryBaseMs: 20, retryCapMs: 1000, owner: `test-${workers.length}`, leaseTtlMs: 30_000, ...options };
    const worker = new DeliveryWorker({ queue, merges: { merged: async () => new Set(), remember: async () => undefined }, budget }, recording, () => Date.now(), all, SILENT, Math.random, {
      rateLimitWait: (ms) => waits.push(ms),
    });
    workers.push(worker);
    return { worker, queue, sent, waits };
  }

  const drained = async (queue: WorkQueue) => ((s) => s.pending === 0 && s.leased === 0)(await queue.stats());
  const users = (n: number, tag: string) => Array.from({ length: n }, (_, i) => track(`${tag}-${i}`, `${tag}-u${i}`));

  it('a rejected key pauses both, one of them probes per probe period, and both resume once the key works', async () => {
    sandbox = await startBrazeSandbox({ apiKey: 'the-real-key' });
    const prefix = freshPrefix();
    // Both instances on one queue and one budget, as two services on one Redis.
    const [qa, qb] = [await redisQueue(prefix), await redisQueue(prefix)];
    const [a, b] = [instance(qa, await RedisBrazeBudget.beside(qa)), instance(qb, await RedisBrazeBudget.beside(qb))];
    await enqueue(qa, users(200, 'p'));
    a.worker.start();
    b.worker.start();
    await eventually(() => a.worker.status === 'paused' && b.worker.status === 'paused', 'both instances to pause');
    expect(b.worker.pauseReason).toMatch(/^HTTP 401: Invalid API Key/);
    const probes = () => [...a.sent, ...b.sent].filter((s) => s.paused).map((s) => s.at).sort((x, y) => x - y);
    await eventually(() => probes().length >= 6, 'six probes', 20_000);
    const seen = probes();
    // Each probe holds the probe for a whole period, whichever instance sends it: n probes span at least n − 1 periods (one more of slack for timers).
    expect((seen.length - 1) * PROBE_MS).toBeLessThanOrEqual(seen[seen.length - 1] - seen[0] + PROBE_MS);
    expect(sandbox.received).toHaveLength(0);
    sandbox.apiKey = 'sandbox-key';
    await eventually(async () => a.worker.status === 'running' && b.worker.status === 'running' && (await drained(qa)), 'both to resume and deliver everything', 20_000);
    expect(sandbox.received).toHaveLength(200);
  });

  it('a key refused for /users/identify only: both instances deliver /users/track meanwhile, one of them probes /users/identify per period, and both send it once it is granted', async () => {
    sandbox = await startBrazeSandbox({ missingPermissionStatus: 401 });
    sandbox.denied.add('users.identify');
    const prefix = freshPrefix();
    const [qa, qb] = [await redisQueue(prefix), await redisQueue(prefix)];
    const [a, b] = [instance(qa, await RedisBrazeBudget.beside(qa)), instance(qb, await RedisBrazeBudget.beside(qb))];
    // More merges than a round holds, ahead of everyone else in the queue.
    await enqueue(qa, Array.from({ length: 100 }, (_, i) => identify(`m-${i}`, `m-u${i}`)));
    a.worker.start();
    b.worker.start();
    await eventually(() => a.worker.pauses.has('/users/identify') && b.worker.pauses.has('/users/identify'), 'both instances to pause /users/identify');
    await enqueue(qb, users(200, 't'));
    await eventually(() => sandbox.received.filter((r) => r.endpoint === '/users/track').length === 200, 'the 200 track objects', 20_000);
    expect([...a.worker.pauses.keys(), ...b.worker.pauses.keys()]).toEqual(['/users/identify', '/users/identify']);
    const probes = () => sandbox.requests.filter((r) => r.endpoint === '/users/identify').map((r) => r.at);
    const before = probes().length;
    await eventually(() => probes().length >= before + 4, 'four probes', 20_000);
    // Whichever instance sends it, one probe per period: n probes span at least n − 1 periods (one more of slack for timers).
    const seen = probes().slice(before);
    expect((seen.length - 1) * PROBE_MS).toBeLessThanOrEqual(seen[seen.length - 1] - seen[0] + PROBE_MS);
    sandbox.denied.clear();
    await eventually(async () => (await drained(qa)) && a.worker.pauses.size === 0 && b.worker.pauses.size === 0, 'the merges delivered and both resumed', 20_000);
    expect(sandbox.received.filter((r) => r.endpoint === '/users/identify')).toHaveLength(100);
  });

  it("a 429 with Retry-After that one instance got holds the other's requests until it ends", async () => {
    sandbox = await startBrazeSandbox();
    sandbox.inject({ kind: 'status', status: 429, count: 1, retryAfter: 1 });
    const prefix = freshPrefix();
    const [qa, qb] = [await redisQueue(freshPrefix()), await redisQueue(freshPrefix())];
    const [ba, bb] = [await budgetOn(qa, prefix), await budgetOn(qb, prefix)];
    prefixes.push(prefix);
    const [a, b] = [instance(qa, ba), instance(qb, bb)];
    a.worker.start();
    b.worker.start();
    await enqueue(qa, users(1, 'a'));
    await eventually(async () => (await bb.blockedFor('track')) > 0, 'the other instance to know of the 429');
    const blockedUntil = Date.now() + (await bb.blockedFor('track'));
    await enqueue(qb, users(1, 'b'));
    await eventually(async () => (await drained(qa)) && (await drained(qb)), 'both queues to drain');
    expect(b.waits.length).toBeGreaterThan(0);
    const [limited, ...after] = sandbox.requests;
    expect(limited.status).toBe(429);
    expect(after.map((r) => r.status)).toEqual([201, 201]);
    for (const request of after) expect(request.at).toBeGreaterThanOrEqual(blockedUntil);
  });

  it('when Braze says Remaining=N, the two instances together send N in the window, not N each', async () => {
    const N = 12;
    sandbox = await startBrazeSandbox({ rateLimit: { limit: N, windowMs: 30_000 } });
    // Slow answers keep requests in flight, so no instance learns in time from Braze's headers alone.
    sandbox.inject({ kind: 'slow', delayMs: 150, count: -1 });
    const prefix = freshPrefix();
    const [qa, qb] = [await redisQueue(freshPrefix()), await redisQueue(freshPrefix())];
    const [ba, bb] = [await budgetOn(qa, prefix), await budgetOn(qb, prefix)];
    prefixes.push(prefix);
    const oneObjectEach = { concurrency: 4, limits: trackLimits('combined', 1) };
    const [a, b] = [instance(qa, ba, oneObjectEach), instance(qb, bb, oneObjectEach)];
    // The first instance has learnt the window (Remaining = N − 1) when the second starts.
    await enqueue(qa, users(1, 'first'));
    a.worker.start();
    await eventually(() => drained(qa), 'the first request');
    await enqueue(qa, users(30, 'a'));
    await enqueue(qb, users(30, 'b'));
    b.worker.start();
    // Both parked until the window resets (well over 10 s away), nothing left in flight.
    await eventually(() => a.waits.some((ms) => ms > 10_000) && b.waits.some((ms) => ms > 10_000) && sandbox.inFlight === 0, 'both instances to wait for the reset', 20_000);
    await Promise.all([a.worker.stop(), b.worker.stop()]);
    const sent = sandbox.requests.length;
    expect(sandbox.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(sent).toBeLessThanOrEqual(N);
    expect(sent).toBeGreaterThanOrEqual(N - 1); // the last of the budget is spread to the window's end
    expect(b.sent.length).toBeGreaterThan(0);
  });

  it.each([
    ['in-process', async () => new LocalBudget(() => Date.now())],
    ['redis', async () => RedisBrazeBudget.beside(await redisQueue(freshPrefix()))],
  ] as const)('a reset a million seconds ahead holds delivery an hour at most (%s)', async (_name, budget) => {
    sandbox = await startBrazeSandbox();
    const farReset: BrazeSender = {
      dryRun: false,
      send: async (): Promise<BrazeReply> => ({ status: 201, headers: { 'X-RateLimit-Limit': '3000', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + 1_000_000) }, body: { message: 'success' } }),
    };
    const queue = new MemoryWorkQueue(() => Date.now());
    const one = instance(queue, await budget(), { concurrency: 1, limits: trackLimits('combined', 1) }, farReset);
    await enqueue(queue, users(2, 'far'));
    one.worker.start();
    await eventually(() => one.waits.length > 0, 'the wait after the first answer');
    expect(one.waits).toEqual([MAX_BUDGET_WAIT_MS]);
  });
});
