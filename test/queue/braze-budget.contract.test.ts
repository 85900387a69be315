import { LocalBudget } from '../../src/delivery/local-budget';
import { BrazeBudget, MAX_BUDGET_WAIT_MS } from '../../src/queue/ports/braze-budget.port';
import { RedisBrazeBudget } from '../../src/queue/redis/redis-braze-budget';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';
import { dropKeys, freshPrefix, openRedisQueue } from '../helpers/redis';

const NOW = 1_709_294_400_000;
const HOUR = 60 * 60_000;

/** One line per adapter: each gets the same contract, on a clock the test moves. */
const ADAPTERS: [string, (now: () => number) => Promise<{ budget: BrazeBudget; close(): Promise<void> }>][] = [
  ['in-process', async (now) => ({ budget: new LocalBudget(now), close: async () => undefined })],
  [
    'redis',
    async (now) => {
      const queue = await openRedisQueue(now);
      return { budget: await RedisBrazeBudget.beside(queue), close: () => closeAndDrop([queue]) };
    },
  ],
];

/** Resolves at the next pause or resume `budget` hears of. */
const heard = (budget: BrazeBudget) =>
  new Promise<void>((resolve) => {
    const stop = budget.onChange(() => {
      stop();
      resolve();
    });
  });

async function closeAndDrop(queues: RedisWorkQueue[]): Promise<void> {
  await Promise.all(queues.map((queue) => queue.close()));
  await dropKeys(queues[0].prefix);
}

describe.each(ADAPTERS)('the Braze budget contract: %s', (_name, open) => {
  let clock: number;
  let budget: BrazeBudget;
  let close: () => Promise<void>;
  beforeEach(async () => {
    clock = NOW;
    ({ budget, close } = await open(() => clock));
  });
  afterEach(() => close());

  it('lets requests go while no answer has said anything', async () => {
    expect(await budget.take('track')).toBe(0);
    expect(await budget.blockedFor('track')).toBe(0);
    await budget.observe('track', null);
    expect(await budget.take('track')).toBe(0);
  });

  it("waits out a 429's block, for its endpoint family only", async () => {
    await budget.block('track', NOW + 1500);
    expect(await budget.take('track')).toBe(1500);
    expect(await budget.take('users')).toBe(0);
    clock += 1000;
    expect(await budget.blockedFor('track')).toBe(500);
    await budget.block('track', NOW + 1200); // an earlier end does not shorten it
    expect(await budget.blockedFor('track')).toBe(500);
    clock += 500;
    expect(await budget.blockedFor('track')).toBe(0);
    expect(await budget.take('track')).toBe(0);
  });

  it('spreads the last 10% of the budget over the rest of the window, and waits for the reset when none is left', async () => {
    await budget.observe('track', { limit: 3000, remaining: 1000, resetAt: NOW + 3000 });
    expect(await budget.take('track')).toBe(0);
    await budget.observe('track', { limit: 3000, remaining: 100, resetAt: NOW + 3000 });
    expect(await budget.take('track')).toBe(30);
    await budget.observe('track', { limit: 3000, remaining: 0, resetAt: NOW + 3000 });
    expect(await budget.take('track')).toBe(3000);
    expect(await budget.blockedFor('track')).toBe(0); // pacing, not a 429
    expect(await budget.take('users')).toBe(0);
    clock += 3000;
    expect(await budget.take('track')).toBe(0);
  });

  it('caps every wait Braze can ask for at an hour, below what setTimeout can hold', async () => {
    await budget.observe('track', { limit: 3000, remaining: 0, resetAt: NOW + 1_000_000_000 });
    expect(await budget.take('track')).toBe(HOUR);
    await budget.block('users', NOW + 10 ** 15);
    expect(await budget.take('users')).toBe(HOUR);
    expect(await budget.blockedFor('users')).toBe(HOUR);
    expect(MAX_BUDGET_WAIT_MS).toBe(HOUR);
    expect(HOUR).toBeLessThan(2 ** 31 - 1);
  });

  it('pauses an endpoint on a rejected key and resumes it on a success sent after the pause began, not before', async () => {
    expect(await budget.pauses()).toEqual(new Map());
    expect(await budget.pause('/users/identify', 'HTTP 401: Invalid API Key')).toBe(true);
    expect(await budget.pause('/users/identify', 'HTTP 403: Forbidden')).toBe(false);
    expect(await budget.pauses()).toEqual(new Map([['/users/identify', 'HTTP 403: Forbidden']]));
    expect(await budget.resume('/users/identify', NOW - 1)).toBe(false); // in flight before the pause: it says nothing of the key now
    expect(await budget.pauses()).toEqual(new Map([['/users/identify', 'HTTP 403: Forbidden']]));
    clock += 50;
    expect(await budget.claimProbe('/users/identify', 50)).toBe(true);
    expect(await budget.resume('/users/identify', NOW + 50)).toBe(true);
    expect(await budget.pauses()).toEqual(new Map());
    expect(await budget.resume('/users/identify', NOW + 60)).toBe(false);
  });

  it('pauses and resumes each endpoint on its own: a key refused for /users/identify still sends /users/track', async () => {
    await budget.pause('/users/identify', 'HTTP 401: Invalid API Key');
    clock += 10;
    await budget.pause('/users/alias/new', 'HTTP 403: Forbidden');
    expect(await budget.pauses()).toEqual(new Map([['/users/identify', 'HTTP 401: Invalid API Key'], ['/users/alias/new', 'HTTP 403: Forbidden']]));
    expect(await budget.resume('/users/track', NOW + 20)).toBe(false); // never paused
    expect(await budget.resume('/users/alias/new', NOW + 5)).toBe(false); // sent before its own pause, after the other's
    expect(await budget.resume('/users/identify', NOW + 5)).toBe(true);
    expect(await budget.pauses()).toEqual(new Map([['/users/alias/new', 'HTTP 403: Forbidden']]));
  });
});

describe('the Braze budget in Redis is one for every instance on the prefix', () => {
  let clock: number;
  let queues: RedisWorkQueue[];
  let a: RedisBrazeBudget;
  let b: RedisBrazeBudget;
  beforeEach(async () => {
    clock = NOW;
    const prefix = freshPrefix();
    queues = await Promise.all([openRedisQueue(() => clock, prefix), openRedisQueue(() => clock, prefix)]);
    [a, b] = await Promise.all(queues.map((queue) => RedisBrazeBudget.beside(queue)));
  });
  afterEach(() => closeAndDrop(queues));

  it('every instance counts down one remaining: together they send what Braze said is left, not that much each', async () => {
    await a.observe('track', { limit: 10, remaining: 5, resetAt: NOW + 3000 });
    const waits = [];
    for (const budget of [b, a, b, a, b, a]) waits.push(await budget.take('track'));
    // 4 go at once; the 5th is the last 10%, spread over the window (here: at its end); then none is left.
    expect(waits).toEqual([0, 0, 0, 0, 3000, 3000]);
  });

  it("an answer of the same window only lowers the count (requests in flight are not in Braze's count yet); a new window is Braze's word", async () => {
    await a.observe('track', { limit: 10, remaining: 5, resetAt: NOW + 3000 });
    for (let i = 0; i < 4; i++) await a.take('track');
    await b.observe('track', { limit: 10, remaining: 4, resetAt: NOW + 3000 }); // sent before the others went out
    expect(await b.take('track')).toBe(3000);
    await b.observe('track', { limit: 10, remaining: 9, resetAt: NOW }); // the window before: stale
    expect(await a.take('track')).toBe(3000);
    await b.observe('track', { limit: 10, remaining: 9, resetAt: NOW + 6000 });
    expect(await a.take('track')).toBe(0);
  });

  it("one instance's 429 blocks the other", async () => {
    await a.block('users', NOW + 2000);
    expect(await b.take('users')).toBe(2000);
    expect(await b.blockedFor('users')).toBe(2000);
    expect(await b.take('track')).toBe(0);
  });

  it('a pause and a resume are heard by the other instance, which reads the same reason', async () => {
    const paused = heard(b);
    expect(await a.pause('/users/identify', 'HTTP 401: Invalid API Key')).toBe(true);
    await paused;
    expect(await b.pauses()).toEqual(new Map([['/users/identify', 'HTTP 401: Invalid API Key']]));
    const toA = heard(a);
    expect(await b.resume('/users/identify', NOW)).toBe(true);
    await toA;
    expect(await a.pauses()).toEqual(new Map());
  });

  it('one instance per probe period probes a paused endpoint; each endpoint has its own probe', async () => {
    await a.pause('/users/identify', 'HTTP 401: Invalid API Key');
    await a.pause('/users/alias/new', 'HTTP 401: Invalid API Key');
    expect(await a.claimProbe('/users/identify', 1000)).toBe(true);
    expect(await b.claimProbe('/users/identify', 1000)).toBe(false);
    expect(await b.claimProbe('/users/alias/new', 1000)).toBe(true);
    clock += 999;
    expect(await a.claimProbe('/users/identify', 1000)).toBe(false);
    clock += 1;
    expect(await b.claimProbe('/users/identify', 1000)).toBe(true);
    expect(await a.claimProbe('/users/identify', 1000)).toBe(false);
  });
});
