import { Worker } from 'node:worker_threads';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remapWith } from '../../src/queue/remap';
import { DeadLetterStore } from '../../src/queue/ports/dead-letter-store.port';
import { InboxPosition } from '../../src/queue/ports/request-inbox.port';
import { DEDUP_WINDOW_MS, WorkQueue } from '../../src/queue/ports/work-queue.port';
import { RedisDeadLetters } from '../../src/queue/redis/redis-dead-letters';
import { RedisInboxSource, RedisRequestInbox, StreamPosition } from '../../src/queue/redis/redis-inbox';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { defaultPlan } from '../helpers/engine';
import { MemoryWorkQueue } from '../helpers/memory-work-queue';
import { dropKeys, openRedisQueue } from '../helpers/redis';
import { alias, enqueue, identify, leaseFor, names, TEST_OWNER, track } from '../helpers/queue';

/** A backend under test: its ports, on a clock the test moves. */
interface Backend {
  readonly queue: WorkQueue;
  readonly deadLetters: DeadLetterStore;
  /** The position of this backend's inbox after one more request, as the expansion would read it. */
  nextPosition(): Promise<InboxPosition>;
  /** Whether a commit recorded the position: the inbox goes on after it. */
  recorded(position: InboxPosition): Promise<boolean>;
  close(): Promise<void>;
}

/** One line per backend: each gets the same contract. */
const BACKENDS: [string, (now: () => number) => Backend | Promise<Backend>][] = [
  [
    'sqlite',
    (now) => {
      const store = new SqliteQueue(mkdtempSync(join(tmpdir(), 'sb-contract-')), now);
      return { queue: store, deadLetters: store.deadLetters, ...logPositions(() => store.inboxPosition()), close: () => store.close() };
    },
  ],
  [
    'memory',
    (now) => {
      const memory = new MemoryWorkQueue(now);
      return { queue: memory, deadLetters: memory, ...logPositions(() => memory.inboxPosition), close: () => memory.close() };
    },
  ],
  [
    'redis',
    async (now) => {
      const redis = await openRedisQueue(now);
      const close = async () => {
        await redis.close();
        await dropKeys(redis.prefix);
      };
      // The Redis inbox's positions name its entries: a request is accepted and read to get one.
      const inbox = new RedisRequestInbox(redis);
      const source = new RedisInboxSource(redis, 'contract', { claimAfterMs: 60_000, blockMs: 10 });
      const nextPosition = async () => {
        await inbox.accept({ source: 'batch', body: Buffer.from('{"batch":[]}'), receivedAt: 0, idBase: 'contract', skip: [], messages: 1 });
        return (await source.read(1)).position;
      };
      const recorded = async (position: InboxPosition) => (await redis.client.xrange(`${redis.prefix}inbox`, '-', '+')).every(([id]) => !(position as unknown as StreamPosition).ids.includes(id));
      return { queue: redis, deadLetters: new RedisDeadLetters(redis), nextPosition, recorded, close };
    },
  ],
];

/** The SQLite adapter's position is a segment and an offset, read back as stored; to the port it is opaque. */
function logPositions(stored: () => unknown) {
  let offset = 0;
  return {
    nextPosition: async () => ({ segment: 1, offset: (offset += 100) }) as unknown as InboxPosition,
    recorded: async (position: InboxPosition) => JSON.stringify(stored()) === JSON.stringify(position),
  };
}

const TTL = 1000;

describe.each(BACKENDS)('the work queue contract: %s', (_name, open) => {
  let clock: number;
  let backend: Backend;
  let queue: WorkQueue;
  beforeEach(async () => {
    clock = 1_000_000;
    backend = await open(() => clock);
    queue = backend.queue;
  });
  afterEach(() => backend?.close());

  describe('commit', () => {
    it('stores the objects, refusals as dead letters, and says what was new, duplicate or dropped; the wake-up is heard', async () => {
      let woken = 0;
      const stop = queue.wakeUp.listen(() => woken++);
      const empty = track('empty', 'u', { requests: [], dropCode: 'NO_MATCHING_RULE' });
      const refusal = { index: 0, messageId: 'r1', userKey: 'u', code: 'NO_MATCHING_RULE', message: 'no rule', payload: { type: 'track' } };
      expect(await queue.commit({ messages: [track('a1', 'a'), track('a1', 'a'), empty], refused: [refusal] })).toEqual({ accepted: 2, duplicates: 1, dropped: ['NO_MATCHING_RULE'] });
      expect(woken).toBe(1);
      stop();
      expect(await queue.stats()).toMatchObject({ pending: 1, leased: 0, deadLetters: 1 });
      expect((await backend.deadLetters.list(10)).items).toEqual([expect.objectContaining({ messageId: 'r1', endpoint: 'unmapped', reason: 'NO_MATCHING_RULE: no rule' })]);
    });

    it('records the inbox position with the objects; a batch that cannot be stored leaves claims, objects and position as they were', async () => {
      const first = await backend.nextPosition();
      await queue.commit({ messages: [track('a1', 'a')], refused: [], inboxPosition: first });
      expect(await backend.recorded(first)).toBe(true);
      const second = await backend.nextPosition();
      const unstorable = track('bad', 'b', { message: { type: 'track', n: BigInt(1) } });
      await expect(queue.commit({ messages: [track('a2', 'a'), unstorable], refused: [], inboxPosition: second })).rejects.toThrow();
      expect(await backend.recorded(second)).toBe(false);
      expect(await queue.stats()).toMatchObject({ pending: 1 });
      expect(await queue.commit({ messages: [track('a2', 'a')], refused: [], inboxPosition: second })).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(await backend.recorded(second)).toBe(true);
      expect(names(await leaseFor(queue, 10))).toEqual(['a1', 'a2']);
    });

    it('a batch of nothing new wakes no one', async () => {
      await enqueue(queue, [track('a1', 'a')]);
      let woken = 0;
      queue.wakeUp.listen(() => woken++);
      expect(await enqueue(queue, [track('a1', 'a')])).toEqual({ accepted: 0, duplicates: 1, dropped: [] });
      expect(woken).toBe(0);
    });
  });

  describe('what delivery needs to send only what changed', () => {
    const at = '2026-01-01T10:00:00.000Z';
    const identifyAndTrack = (messageId: string, timestamp?: string) =>
      track(messageId, 'u', {
        // The mapping's policy for the attributes object, as the engine attaches it.
        requests: [{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', plan: 'pro' }], events: [{ external_id: 'u', name: 'e', time: at }] }, changesOnly: [{ alwaysSent: [] }] }],
        message: { type: 'identify', userId: 'u', messageId, ...(timestamp ? { timestamp } : {}) },
      });

    it("each object carries its message's event time, and attributes objects the changes-only policy; other objects send everything", async () => {
      await enqueue(queue, [identifyAndTrack('i1', at), identifyAndTrack('i2')]);
      const lease = await leaseFor(queue, 10);
      expect(lease.items.map((i) => [i.messageId, i.array, i.eventTime, i.changesOnly])).toEqual([
        ['i1', 'attributes', Date.parse(at), { alwaysSent: [] }],
        ['i1', 'events', Date.parse(at), null],
        ['i2', 'attributes', null, { alwaysSent: [] }],
        ['i2', 'events', null, null],
      ]);
    });

    it('both survive a retry', async () => {
      await enqueue(queue, [identifyAndTrack('i1', at)]);
      const first = await leaseFor(queue, 10);
      await queue.settle(first, { retry: first.items.map((i) => ({ id: i.id, notBefore: clock })) });
      expect((await leaseFor(queue, 10)).items.map((i) => [i.eventTime, i.changesOnly])).toEqual([[Date.parse(at), { alwaysSent: [] }], [Date.parse(at), null]]);
    });

    it('a remapped dead letter carries the policy and event time the remap made', async () => {
      await enqueue(queue, [identifyAndTrack('i1', at)]);
      const lease = await leaseFor(queue, 10);
      await queue.settle(lease, { deadLetter: lease.items.map((i) => ({ id: i.id, reason: 'HTTP 400: bad', status: 400 })) });
      const remapped = { endpoint: '/users/track' as const, array: 'attributes', options: null, object: { external_id: 'u', plan: 'team' }, position: 0, mergeKey: null, eventTime: 42, changesOnly: { alwaysSent: ['email', 'plan'] } };
      const letters = (await backend.deadLetters.list(10)).items;
      expect(await backend.deadLetters.replay([letters[0].id], () => [remapped])).toEqual({ replayed: 1, skipped: [] });
      expect((await leaseFor(queue, 10)).items.map((i) => [i.object.plan, i.eventTime, i.changesOnly])).toEqual([['team', 42, { alwaysSent: ['email', 'plan'] }]]);
    });
  });

  describe('deduplication', () => {
    it('a messageId seen within the window is a duplicate; past it, new again; a generated id is never claimed', async () => {
      await enqueue(queue, [track('m', 'u'), track('g', 'u', { generatedId: true })]);
      clock += DEDUP_WINDOW_MS - 1;
      expect(await enqueue(queue, [track('m', 'u'), track('g', 'u', { generatedId: true })])).toMatchObject({ accepted: 1, duplicates: 1 });
      clock += 2;
      expect(await queue.prune()).toBeGreaterThanOrEqual(0);
      expect(await enqueue(queue, [track('m', 'u')])).toMatchObject({ accepted: 1, duplicates: 0 });
    });
  });

  describe('lease order: each user in the order accepted', () => {
    it('a user with an object in flight gets nothing more until it settles; others go on', async () => {
      await enqueue(queue, [track('a1', 'a'), track('b1', 'b'), track('a2', 'a')]);
      const first = await leaseFor(queue, 1);
      expect(names(first)).toEqual(['a1']);
      const second = await leaseFor(queue, 10);
      expect(names(second)).toEqual(['b1']);
      await queue.settle(first, { ack: first.items.map((i) => i.id) });
      expect(names(await leaseFor(queue, 10))).toEqual(['a2']);
    });

    it('a user waiting on a retry is held back until its time comes, and keeps its order', async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a'), track('b1', 'b')]);
      const first = await leaseFor(queue, 1);
      await queue.settle(first, { retry: [{ id: first.items[0].id, notBefore: clock + 5000 }] });
      const others = await leaseFor(queue, 10);
      expect(names(others)).toEqual(['b1']);
      clock += 5000;
      const again = await leaseFor(queue, 10);
      expect(names(again)).toEqual(['a1', 'a2']);
      expect(again.items.map((i) => i.attempts)).toEqual([1, 0]);
    });

    it('a deferred object (its endpoint paused) is held back with its user until its time, without an attempt counted', async () => {
      await enqueue(queue, [identify('a1', 'a'), track('a2', 'a'), track('b1', 'b')]);
      const first = await leaseFor(queue, 1);
      expect(names(first)).toEqual(['a1']);
      await queue.settle(first, { defer: [{ id: first.items[0].id, notBefore: clock + 5000 }] });
      expect(await queue.stats()).toMatchObject({ pending: 3, leased: 0 });
      expect(names(await leaseFor(queue, 10))).toEqual(['b1']);
      clock += 5000;
      const again = await leaseFor(queue, 10);
      expect(names(again)).toEqual(['a1', 'a2']);
      expect(again.items.map((i) => i.attempts)).toEqual([0, 0]);
    });

    it('a lease cut at its limit takes the earliest objects in queue order, whoever they belong to', async () => {
      await enqueue(queue, [track('a1', 'a'), track('b1', 'b'), track('b2', 'b'), track('a2', 'a'), track('c1', 'c')]);
      expect(names(await leaseFor(queue, 3))).toEqual(['a1', 'b1', 'b2']);
      expect(names(await leaseFor(queue, 3))).toEqual(['c1']); // a2 waits behind a1, in flight
    });

    it("a user's run is cut at the per-user cap, whatever its endpoints (packing is delivery's)", async () => {
      await enqueue(queue, [track('a1', 'a'), alias('a2', 'a'), track('a3', 'a'), track('b1', 'b'), track('b2', 'b'), track('b3', 'b')]);
      expect(names(await leaseFor(queue, 10, 2))).toEqual(['a1', 'a2', 'b1', 'b2']);
    });

    it("with oneRequestPerUser, a user's run stops at the first object for another request; other users go on, and the rest follows in order", async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a'), alias('a3', 'a'), track('a4', 'a'), alias('b1', 'b'), alias('b2', 'b'), track('c1', 'c')]);
      const round = () => queue.lease(TEST_OWNER, { limit: 10, perUser: 10, oneRequestPerUser: true }, TTL);
      const first = await round();
      expect(names(first)).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);
      await queue.settle(first, { ack: first.items.map((i) => i.id) });
      const second = await round();
      expect(names(second)).toEqual(['a3']);
      await queue.settle(second, { ack: second.items.map((i) => i.id) });
      expect(names(await round())).toEqual(['a4']);
    });

    it('with oneRequestPerUser, request options count: identify objects with another merge_behavior wait for the next lease', async () => {
      await enqueue(queue, [identify('i1', 'a', 'merge'), identify('i2', 'a', 'merge'), identify('i3', 'a', 'none'), identify('j1', 'b', 'none')]);
      const round = () => queue.lease(TEST_OWNER, { limit: 10, perUser: 10, oneRequestPerUser: true }, TTL);
      const first = await round();
      expect(names(first)).toEqual(['i1', 'i2', 'j1']);
      await queue.settle(first, { ack: first.items.map((i) => i.id) });
      expect(names(await round())).toEqual(['i3']);
    });

    it('finds ready objects behind more blocked ones than one read takes', async () => {
      await enqueue(queue, Array.from({ length: 4500 }, (_, i) => track(`a${i}`, 'a')));
      await enqueue(queue, [track('b1', 'b')]);
      const first = await leaseFor(queue, 1);
      await queue.settle(first, { retry: [{ id: first.items[0].id, notBefore: clock + 60_000 }] });
      expect(names(await leaseFor(queue, 10))).toEqual(['b1']);
    });
  });

  describe('leases: owner, expiry, takeover', () => {
    it('an expired lease is swept back in place, another owner takes it in order, and the first owner can neither extend nor settle it', async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a')]);
      const a = await leaseFor(queue, 1, Infinity, 'instance-a', TTL);
      expect(a).toMatchObject({ owner: 'instance-a', expiresAt: clock + TTL });
      expect(await queue.sweep()).toBe(0);
      expect(names(await leaseFor(queue, 10, Infinity, 'instance-b', TTL))).toEqual([]); // a2 waits behind a1
      clock += TTL;
      expect(await queue.sweep()).toBe(1);
      expect(await queue.stats()).toMatchObject({ pending: 2, leased: 0 });
      const b = await leaseFor(queue, 10, Infinity, 'instance-b', TTL);
      expect(names(b)).toEqual(['a1', 'a2']);
      expect(await queue.extend(a, TTL)).toBe(false);
      expect(await queue.settle(a, { deadLetter: [{ id: a.items[0].id, reason: 'late', status: 400 }] })).toEqual({ settled: false, reason: expect.any(String) });
      expect(await queue.settle(b, { ack: b.items.map((i) => i.id) })).toEqual({ settled: true });
      expect(await queue.stats()).toMatchObject({ pending: 0, leased: 0, deadLetters: 0 });
    });

    it('from its expiry on, swept or not, a lease is nobody\'s: its owner can neither extend nor settle it, and nothing of the settlement is applied', async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a')]);
      const a = await leaseFor(queue, 10, Infinity, 'instance-a', TTL);
      clock += TTL;
      expect(await queue.extend(a, TTL)).toBe(false);
      expect(await queue.settle(a, { ack: [a.items[0].id], retry: [{ id: a.items[1].id, notBefore: clock + 60_000 }] })).toEqual({ settled: false, reason: expect.any(String) });
      await queue.sweep();
      const b = await leaseFor(queue, 10, Infinity, 'instance-b', TTL);
      expect(names(b)).toEqual(['a1', 'a2']);
      expect(b.items.map((i) => i.attempts)).toEqual([0, 0]);
    });

    it('extending a lease keeps it past its first expiry', async () => {
      await enqueue(queue, [track('a1', 'a')]);
      const lease = await leaseFor(queue, 1, Infinity, TEST_OWNER, TTL);
      clock += TTL - 1;
      expect(await queue.extend(lease, TTL)).toBe(true);
      clock += TTL - 1;
      expect(await queue.sweep()).toBe(0);
      expect(await queue.settle(lease, { ack: [lease.items[0].id] })).toEqual({ settled: true });
      expect(await queue.stats()).toMatchObject({ pending: 0, leased: 0 });
    });

    it('a settled lease is gone: settling it again is refused, nothing is settled twice', async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a')]);
      const lease = await leaseFor(queue, 1);
      expect(await queue.settle(lease, { retry: [{ id: lease.items[0].id, notBefore: clock }] })).toEqual({ settled: true });
      expect((await queue.settle(lease, { ack: [lease.items[0].id] })).settled).toBe(false);
      const again = await leaseFor(queue, 10);
      expect(names(again)).toEqual(['a1', 'a2']);
      expect(again.items[0].attempts).toBe(1);
    });
  });

  describe('settle', () => {
    it('acks, retries and dead letters of a round in one step; what it names nowhere goes back unchanged', async () => {
      await enqueue(queue, [track('a1', 'a'), track('b1', 'b'), track('c1', 'c'), track('d1', 'd')]);
      const lease = await leaseFor(queue, 10);
      const [a, b, c] = lease.items;
      expect(await queue.settle(lease, { ack: [a.id], retry: [{ id: b.id, notBefore: clock + 100 }], deadLetter: [{ id: c.id, reason: 'Braze: bad', status: 400 }] })).toEqual({ settled: true });
      expect(await queue.stats()).toMatchObject({ pending: 2, leased: 0, deadLetters: 1 });
      const next = await leaseFor(queue, 10);
      expect(names(next)).toEqual(['d1']);
      expect(next.items[0].attempts).toBe(0);
      expect((await backend.deadLetters.list(10)).items).toEqual([expect.objectContaining({ messageId: 'c1', reason: 'Braze: bad', status: 400, attempts: 1, endpoint: '/users/track', array: 'events' })]);
    });

    it("what a settlement names nowhere stays in its place, ahead of its user's later objects", async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a'), track('a3', 'a')]);
      const lease = await leaseFor(queue, 10, 2);
      expect(await queue.settle(lease, {})).toEqual({ settled: true });
      const again = await leaseFor(queue, 10, 2);
      expect(names(again)).toEqual(['a1', 'a2']);
      // The same objects, not copies queued again: a backend that re-queues would give them new ids.
      expect(again.items.map((i) => i.id)).toEqual(lease.items.map((i) => i.id));
    });

    it('an object left unnamed behind a retry waits with its user, then goes out in order', async () => {
      await enqueue(queue, [track('a1', 'a'), alias('a2', 'a'), track('a3', 'a'), track('a4', 'a')]);
      const lease = await leaseFor(queue, 10, 3);
      await queue.settle(lease, { ack: [lease.items[0].id], retry: [{ id: lease.items[1].id, notBefore: clock + 100 }] });
      expect(names(await leaseFor(queue, 10))).toEqual([]);
      clock += 100;
      expect(names(await leaseFor(queue, 10))).toEqual(['a2', 'a3', 'a4']);
    });

    it('ids its lease does not hold are ignored', async () => {
      await enqueue(queue, [track('a1', 'a'), track('b1', 'b')]);
      const mine = await leaseFor(queue, 1);
      const theirs = await leaseFor(queue, 10, Infinity, 'instance-b');
      const b1 = theirs.items[0].id;
      expect(await queue.settle(mine, { ack: [b1], retry: [{ id: b1, notBefore: clock + 60_000 }], deadLetter: [{ id: b1, reason: 'not mine', status: 400 }] })).toEqual({ settled: true });
      expect(await queue.stats()).toMatchObject({ pending: 1, leased: 1, deadLetters: 0 });
      expect(await queue.settle(theirs, { ack: [b1] })).toEqual({ settled: true });
      expect(names(await leaseFor(queue, 10))).toEqual(['a1']);
      expect(await queue.stats()).toMatchObject({ pending: 0, leased: 1, deadLetters: 0 });
    });

    it('gives back every object the lease holds, whatever the Lease passed lists', async () => {
      await enqueue(queue, [track('a1', 'a'), track('a2', 'a')]);
      const lease = await leaseFor(queue, 10);
      expect(await queue.settle({ ...lease, items: lease.items.slice(0, 1) }, { ack: [lease.items[0].id] })).toEqual({ settled: true });
      expect(names(await leaseFor(queue, 10))).toEqual(['a2']);
    });

    it('an empty lease holds nothing and settles as nothing', async () => {
      const lease = await leaseFor(queue, 10);
      expect(lease.items).toEqual([]);
      expect(await queue.extend(lease, TTL)).toBe(true);
      expect(await queue.settle(lease, {})).toEqual({ settled: true });
    });
  });

  describe('dead letters', () => {
    async function deadLetter(...messageIds: string[]): Promise<void> {
      await enqueue(queue, messageIds.map((id) => track(id, `user-${id}`, { message: { type: 'track', userId: `user-${id}`, event: id, messageId: id, timestamp: '2024-03-01T12:00:00.000Z' } })));
      const lease = await leaseFor(queue, 100);
      await queue.settle(lease, { deadLetter: lease.items.map((i) => ({ id: i.id, reason: 'HTTP 400: bad', status: 400 })) });
    }

    it('are listed, shown with their message, replayed at the end of the queue, and purged', async () => {
      await deadLetter('x1', 'x2');
      await enqueue(queue, [track('later', 'other')]);
      const { total, items } = await backend.deadLetters.list(10);
      expect(total).toBe(2);
      expect(await backend.deadLetters.show(items[0].id)).toMatchObject({ messageId: 'x1', message: { event: 'x1' } });
      expect(await backend.deadLetters.replay([items[0].id])).toEqual({ replayed: 1, skipped: [] });
      expect(names(await leaseFor(queue, 10))).toEqual(['later', 'x1']);
      expect(await backend.deadLetters.purge('all')).toBe(1);
      expect(await queue.stats()).toMatchObject({ deadLetters: 0 });
    });

    it('replayed with a remap, they carry what the mapping makes now; what it cannot make is skipped and kept', async () => {
      await deadLetter('x1');
      await queue.commit({ messages: [], refused: [{ index: 0, messageId: 'r1', userKey: 'u', code: 'NO_MATCHING_RULE', message: 'no rule', payload: { type: 'screen' } }] });
      const result = await backend.deadLetters.replay('all', remapWith(defaultPlan()));
      expect(result.replayed).toBe(1);
      expect(result.skipped).toEqual([{ id: expect.any(Number), reason: expect.stringContaining('the mapping still fails') }]);
      const lease = await leaseFor(queue, 10);
      expect(lease.items.map((i) => [i.messageId, i.object.name])).toEqual([['x1', 'x1']]);
      expect((await backend.deadLetters.list(10)).total).toBe(1);
    });

    it('one the mapping refused is skipped by a replay without a remap', async () => {
      await queue.commit({ messages: [], refused: [{ index: 0, messageId: 'r1', userKey: 'u', code: 'NO_MATCHING_RULE', message: 'no rule', payload: { type: 'track' } }] });
      expect(await backend.deadLetters.replay('all')).toEqual({ replayed: 0, skipped: [{ id: expect.any(Number), reason: expect.stringContaining('never mapped') }] });
    });
  });

  it('answers health while open', async () => {
    expect(await queue.health()).toEqual({ up: true });
  });
});

describe('the SQLite adapter at open: one process per DATA_DIR, so every lease in the store is a dead owner\'s', () => {
  it('sweeps them at once, whatever their expiry, and the objects go out again in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-open-'));
    const store = new SqliteQueue(dataDir, () => 1_000_000);
    await enqueue(store, [track('a1', 'a'), track('a2', 'a')]);
    await leaseFor(store, 1, Infinity, 'a-killed-instance', 3_600_000);
    await store.close();
    const reopened = new SqliteQueue(dataDir, () => 1_000_000);
    expect(await reopened.stats()).toMatchObject({ pending: 2, leased: 0 });
    expect(names(await leaseFor(reopened, 10))).toEqual(['a1', 'a2']);
    await reopened.close();
  });

  it('gives back the rows a store from before lease owners marked leased', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-open-'));
    const store = new SqliteQueue(dataDir, () => 1_000_000);
    await enqueue(store, [track('a1', 'a')]);
    store.db.exec('UPDATE work SET state = 1; DROP TABLE leases');
    await store.close();
    const reopened = new SqliteQueue(dataDir, () => 1_000_000);
    expect(names(await leaseFor(reopened, 10))).toEqual(['a1']);
    await reopened.close();
  });
});

describe('the SQLite adapter on a store from before event times and changes-only policies', () => {
  it('adds the columns at open; the rows already queued send everything, the new ones carry both', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-migrate-'));
    const store = new SqliteQueue(dataDir, () => 1_000_000);
    store.db.exec('ALTER TABLE work DROP COLUMN event_time; ALTER TABLE work DROP COLUMN changes_only');
    store.db.prepare("INSERT INTO work (message_id, user_key, endpoint, arr, options, object, position, merge_key, enqueued_at, payload) VALUES ('old', 'u', '/users/track', 'attributes', NULL, '{\"external_id\":\"u\"}', 0, NULL, 1, NULL)").run();
    await store.close();
    const reopened = new SqliteQueue(dataDir, () => 1_000_000);
    await enqueue(reopened, [track('new', 'u', { message: { timestamp: '2026-01-01T00:00:00.000Z' } })]);
    const lease = await leaseFor(reopened, 10);
    expect(lease.items.map((i) => [i.messageId, i.eventTime, i.changesOnly])).toEqual([['old', null, null], ['new', Date.parse('2026-01-01T00:00:00.000Z'), null]]);
    await reopened.close();
  });
});

describe('the SQLite adapter beside a second writer (the expansion thread)', () => {
  it('settles while another connection keeps committing: a settlement waits for the write lock instead of failing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-busy-'));
    const store = new SqliteQueue(dataDir, () => Date.now());
    await enqueue(store, Array.from({ length: 200 }, (_, i) => track(`m${i}`, `u${i}`)));
    // Another thread writing to the same file in a loop, as the expansion thread does.
    const writer = new Worker(
      `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
       const db = new Database(${JSON.stringify(join(dataDir, 'segment-braze.db'))});
       db.pragma('busy_timeout = 5000');
       const put = db.prepare('INSERT INTO merged_aliases (merge_key, merged_at) VALUES (?, 0)');
       const { parentPort } = require('node:worker_threads');
       let n = 0, stop = false;
       parentPort.on('message', () => (stop = true));
       (function loop() { for (let i = 0; i < 20; i++) put.run('k' + n++); stop ? (db.close(), parentPort.close()) : setImmediate(loop); })();`,
      { eval: true },
    );
    try {
      for (let round = 0; round < 200; round++) {
        const lease = await leaseFor(store, 1);
        expect(await store.settle(lease, { retry: [{ id: lease.items[0].id, notBefore: 0 }] })).toEqual({ settled: true });
      }
    } finally {
      writer.postMessage('stop');
      await new Promise((resolve) => writer.once('exit', resolve));
      await store.close();
    }
  });
});
