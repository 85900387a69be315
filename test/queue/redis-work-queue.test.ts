import Redis from 'ioredis';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';
import { dropKeys, freshPrefix, openRedisQueue, patternUnder, REDIS_URL } from '../helpers/redis';
import { enqueue, leaseFor, names, track } from '../helpers/queue';
import { freePort } from '../helpers/redis-server';

const TTL = 1000;

/** Two instances on one Redis: two adapters, their own connections, one key prefix, one clock the test moves. */
describe('the Redis work queue shared by two instances', () => {
  let clock: number;
  let prefix: string;
  let a: RedisWorkQueue;
  let b: RedisWorkQueue;
  beforeEach(async () => {
    clock = 1_000_000;
    prefix = freshPrefix();
    a = await openRedisQueue(() => clock, prefix);
    b = await openRedisQueue(() => clock, prefix);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await dropKeys(prefix);
  });

  it('what one instance leases the other cannot take until the lease expires; then it takes it over, in order, without a sweep', async () => {
    await enqueue(a, [track('a1', 'u'), track('a2', 'u'), track('b1', 'v')]);
    const first = await leaseFor(a, 1, Infinity, 'instance-a', TTL);
    expect(names(first)).toEqual(['a1']);
    expect(names(await leaseFor(b, 10, Infinity, 'instance-b', 60_000))).toEqual(['b1']);
    expect(names(await leaseFor(b, 10, Infinity, 'instance-b', TTL))).toEqual([]);
    clock += TTL;
    const taken = await leaseFor(b, 10, Infinity, 'instance-b', TTL);
    expect(names(taken)).toEqual(['a1', 'a2']);
    expect(await a.settle(first, { ack: first.items.map((i) => i.id) })).toMatchObject({ settled: false });
    expect(await b.settle(taken, { ack: taken.items.map((i) => i.id) })).toEqual({ settled: true });
    expect(await a.stats()).toMatchObject({ pending: 0, leased: 1 }); // b1's lease is still held
  });

  it('a commit on one instance wakes the other', async () => {
    const heard = new Promise<void>((resolve) => b.wakeUp.listen(resolve));
    await enqueue(a, [track('a1', 'u')]);
    await expect(heard).resolves.toBeUndefined();
  });

  it('two instances leasing at once take every object exactly once, each user in order', async () => {
    const users = Array.from({ length: 20 }, (_, u) => `user-${u}`);
    await enqueue(a, users.flatMap((user) => Array.from({ length: 10 }, (_, n) => track(`${user}/${n}`, user))));
    const delivered: string[] = [];
    const drain = async (queue: RedisWorkQueue, owner: string) => {
      for (let empty = 0; empty < 3; ) {
        const lease = await leaseFor(queue, 7, 3, owner, 60_000);
        empty = lease.items.length === 0 ? empty + 1 : 0;
        delivered.push(...names(lease));
        await queue.settle(lease, { ack: lease.items.map((i) => i.id) });
      }
    };
    await Promise.all([drain(a, 'instance-a'), drain(b, 'instance-b')]);
    expect(delivered).toHaveLength(200);
    expect(new Set(delivered).size).toBe(200);
    for (const user of users) {
      const order = delivered.filter((name) => name.startsWith(`${user}/`)).map((name) => Number(name.split('/')[1]));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect(await b.stats()).toMatchObject({ pending: 0, leased: 0 });
  });

  it("keeps a message's payload once for all its objects, and a delivered message leaves only its deduplication claim", async () => {
    const events = ['e1', 'e2', 'e3'].map((name) => ({ external_id: 'u', name, time: '2024-03-01T12:00:00.000Z' }));
    await enqueue(a, [track('m1', 'u', { message: { type: 'track', big: 'x'.repeat(1000) }, requests: [{ endpoint: '/users/track', body: { events } }] })]);
    const client = new Redis(REDIS_URL);
    const keys = async () => (await client.keys(patternUnder(prefix))).map((key) => key.slice(prefix.length)).sort();
    try {
      expect(await keys()).toEqual(['dedup', 'heads', 'm:1', 'n', 'o:1', 'o:2', 'o:3', 'ready', 'seq', 'u:u']);
      const lease = await leaseFor(a, 10);
      expect(lease.items).toHaveLength(3);
      await a.settle(lease, { ack: lease.items.map((i) => i.id) });
      expect(await keys()).toEqual(['dedup', 'n', 'seq']);
    } finally {
      client.disconnect();
    }
  });

  it('every key it writes is under the hash-tagged prefix, so one Redis Cluster slot holds them all', async () => {
    await enqueue(a, [track('a1', 'u', { message: { type: 'track' } }), track('a2', 'v')]);
    const lease = await leaseFor(a, 1);
    await a.settle(lease, { deadLetter: [{ id: lease.items[0].id, reason: 'x', status: 400 }] });
    await leaseFor(a, 10);
    const client = new Redis(REDIS_URL);
    try {
      const keys = await client.keys(patternUnder(prefix));
      expect(keys.length).toBeGreaterThan(5);
      const tag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
      expect(new Set(keys.map(tag))).toEqual(new Set([tag(prefix)]));
    } finally {
      client.disconnect();
    }
  });
});

describe('the Redis work queue without a Redis', () => {
  it('fails to open, at once and saying where it looked', async () => {
    const port = await freePort(); // nothing listens there
    await expect(RedisWorkQueue.open(`redis://:secret@127.0.0.1:${port}`, Date.now, { connectTimeoutMs: 2000 })).rejects.toThrow(
      new RegExp(`^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/? is not reachable`),
    );
  });
});
