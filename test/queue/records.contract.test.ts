import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrazeRequest } from '../../src/engine';
import { DeadLetterStore, Remap } from '../../src/queue/ports/dead-letter-store.port';
import { DroppedMessages } from '../../src/queue/ports/dropped-messages.port';
import { DryRunSink } from '../../src/queue/ports/dry-run-sink.port';
import { MergeMemory } from '../../src/queue/ports/merge-memory.port';
import { QueuedMessage, WorkQueue } from '../../src/queue/ports/work-queue.port';
import { remapWith } from '../../src/queue/remap';
import { RedisDeadLetters } from '../../src/queue/redis/redis-dead-letters';
import { RedisDroppedMessages } from '../../src/queue/redis/redis-dropped-messages';
import { RedisDryRuns } from '../../src/queue/redis/redis-dry-runs';
import { RedisMergeMemory } from '../../src/queue/redis/redis-merge-memory';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { defaultPlan } from '../helpers/engine';
import { dropKeys, openRedisQueue } from '../helpers/redis';
import { enqueue, leaseFor, names, track } from '../helpers/queue';

/** The records beside a work queue, as one backend keeps them, on a clock the test moves. */
interface Backend {
  readonly queue: WorkQueue;
  readonly deadLetters: DeadLetterStore;
  readonly dryRuns: DryRunSink;
  readonly dropped: DroppedMessages;
  readonly merges: MergeMemory;
  close(): Promise<void>;
}

const BACKENDS: [string, (now: () => number) => Promise<Backend>][] = [
  [
    'sqlite',
    async (now) => {
      const store = new SqliteQueue(mkdtempSync(join(tmpdir(), 'sb-records-')), now);
      return { queue: store, deadLetters: store.deadLetters, dryRuns: store.dryRuns, dropped: store.dropped, merges: store.merges, close: () => store.close() };
    },
  ],
  [
    'redis',
    async (now) => {
      const queue = await openRedisQueue(now);
      const close = async () => {
        await queue.close();
        await dropKeys(queue.prefix);
      };
      return { queue, deadLetters: new RedisDeadLetters(queue), dryRuns: new RedisDryRuns(queue), dropped: new RedisDroppedMessages(queue), merges: new RedisMergeMemory(queue), close };
    },
  ],
];

/** What both backends keep of each kind of record, the most recent. */
const KEPT = 10_000;
const T = Date.parse('2024-03-01T12:00:00.000Z');

const messageOf = (id: string, user: string) => ({ type: 'track', userId: user, event: id, messageId: id, timestamp: '2024-03-01T12:00:00.000Z' });
const stored = (id: string, user: string): QueuedMessage => track(id, user, { message: messageOf(id, user) });
const droppedMessage = (id: string, code: string): QueuedMessage => ({ ...track(id, 'u', { message: messageOf(id, 'u') }), requests: [], dropCode: code });
const request = (events: number): BrazeRequest => ({ endpoint: '/users/track', body: { events: Array.from({ length: events }, (_, n) => ({ external_id: 'u', name: `e${n}` })) } });

describe.each(BACKENDS)('the records beside the work queue: %s', (_name, open) => {
  let clock: number;
  let b: Backend;
  beforeEach(async () => {
    clock = T;
    b = await open(() => clock);
  });
  afterEach(() => b?.close());

  /** Each message's object, leased and dead-lettered in the order given. */
  async function deadLetter(messages: QueuedMessage[]): Promise<number[]> {
    await enqueue(b.queue, messages);
    const lease = await leaseFor(b.queue, 10_000);
    await b.queue.settle(lease, { deadLetter: lease.items.map((i) => ({ id: i.id, reason: `HTTP 400: ${i.messageId}`, status: 400 })) });
    return (await b.deadLetters.list(10_000)).items.map((d) => d.id);
  }

  describe('dead letters', () => {
    it('are listed in the order they died, a page at a time, with how many there are', async () => {
      await deadLetter([stored('x1', 'a'), stored('x2', 'b')]);
      clock += 1000;
      await deadLetter([stored('x3', 'a')]);
      const all = await b.deadLetters.list(10);
      expect(all.total).toBe(3);
      expect(all.items.map((d) => d.messageId)).toEqual(['x1', 'x2', 'x3']);
      expect(all.items[2]).toEqual({
        id: expect.any(Number),
        messageId: 'x3',
        userKey: 'a',
        endpoint: '/users/track',
        array: 'events',
        object: { external_id: 'a', name: 'x3', time: '2024-03-01T12:00:00.000Z' },
        reason: 'HTTP 400: x3',
        status: 400,
        attempts: 1,
        failedAt: new Date(T + 1000).toISOString(),
      });
      expect(await b.deadLetters.list(1, 1)).toEqual({ total: 3, items: [all.items[1]] });
    });

    it('show gives the Segment message it came from (null when none was stored), and nothing for an id that is not one', async () => {
      const [kept, bare] = await deadLetter([stored('x1', 'a'), track('x2', 'b')]);
      expect(await b.deadLetters.show(kept)).toMatchObject({ id: kept, messageId: 'x1', message: messageOf('x1', 'a') });
      expect(await b.deadLetters.show(bare)).toMatchObject({ id: bare, messageId: 'x2', message: null });
      expect(await b.deadLetters.show(bare + 1000)).toBeUndefined();
    });

    it("replay puts objects back at the queue's end and in each user's order, whatever order they are named in", async () => {
      const ids = await deadLetter([stored('a1', 'a'), stored('b1', 'b'), stored('a2', 'a')]);
      await enqueue(b.queue, [stored('a3', 'a'), stored('c1', 'c')]);
      expect(await b.deadLetters.replay([ids[2], ids[0], ids[0]])).toEqual({ replayed: 2, skipped: [] });
      await enqueue(b.queue, [stored('d1', 'd')]);
      // a's own queued object first, then its replayed ones as they were accepted; c1 was queued before the replay, d1 after.
      const lease = await leaseFor(b.queue, 100);
      expect(names(lease)).toEqual(['a3', 'c1', 'a1', 'a2', 'd1']);
      expect(lease.items.filter((i) => i.userKey === 'a').map((i) => i.attempts)).toEqual([0, 0, 0]);
      expect((await b.deadLetters.list(10)).items.map((d) => d.messageId)).toEqual(['b1']);
    });

    it('a replayed object keeps its message: dead again, it shows it; one replayed or purged meanwhile is not replayed twice', async () => {
      const [id] = await deadLetter([stored('x1', 'a')]);
      expect(await b.deadLetters.replay([id])).toEqual({ replayed: 1, skipped: [] });
      expect(await b.deadLetters.replay([id])).toEqual({ replayed: 0, skipped: [] });
      const [again] = await deadLetter([]);
      expect(await b.deadLetters.show(again)).toMatchObject({ messageId: 'x1', message: messageOf('x1', 'a') });
      expect(await b.queue.stats()).toMatchObject({ pending: 0, leased: 0, deadLetters: 1 });
    });

    it('replay with a remap queues what it returns; a reason instead skips the letter, which stays, with that reason', async () => {
      const [fixed, still] = await deadLetter([stored('x1', 'a'), stored('x2', 'a')]);
      const remap: Remap = (letter) =>
        letter.messageId === 'x1' ? [{ endpoint: '/users/track', array: 'events', options: null, object: { external_id: 'a', name: 'fixed' }, position: letter.position, mergeKey: null, eventTime: null, changesOnly: null }] : 'the mapping still fails: no';
      expect(await b.deadLetters.replay('all', remap)).toEqual({ replayed: 1, skipped: [{ id: still, reason: 'the mapping still fails: no' }] });
      const lease = await leaseFor(b.queue, 10);
      expect(lease.items.map((i) => [i.messageId, i.object.name])).toEqual([['x1', 'fixed']]);
      expect((await b.deadLetters.list(10)).items.map((d) => d.id)).toEqual([still]);
      expect(fixed).not.toBe(still);
    });

    it('replay --remap with the shipped mapping carries what it makes now', async () => {
      await deadLetter([stored('x1', 'a')]);
      expect(await b.deadLetters.replay('all', remapWith(defaultPlan()))).toEqual({ replayed: 1, skipped: [] });
      expect((await leaseFor(b.queue, 10)).items.map((i) => [i.messageId, i.object.name])).toEqual([['x1', 'x1']]);
    });

    it('replay of all goes through more dead letters than one step takes, every user in order', async () => {
      const users = ['a', 'b', 'c'];
      await deadLetter(Array.from({ length: 1200 }, (_, n) => stored(`${users[n % 3]}${Math.floor(n / 3)}`, users[n % 3])));
      expect(await b.deadLetters.replay('all')).toEqual({ replayed: 1200, skipped: [] });
      const lease = await leaseFor(b.queue, 2000);
      for (const user of users) expect(lease.items.filter((i) => i.userKey === user).map((i) => i.messageId)).toEqual(Array.from({ length: 400 }, (_, n) => `${user}${n}`));
      expect(await b.queue.stats()).toMatchObject({ leased: 1200, deadLetters: 0 });
    });

    it('purge removes the ids named (how many there were) or all of them', async () => {
      const ids = await deadLetter([stored('x1', 'a'), stored('x2', 'b'), stored('x3', 'c')]);
      expect(await b.deadLetters.purge([ids[1], ids[1] + 1000])).toBe(1);
      expect((await b.deadLetters.list(10)).items.map((d) => d.messageId)).toEqual(['x1', 'x3']);
      expect(await b.deadLetters.purge([])).toBe(0);
      expect(await b.deadLetters.purge('all')).toBe(2);
      expect(await b.deadLetters.list(10)).toEqual({ total: 0, items: [] });
      expect(await b.queue.stats()).toMatchObject({ deadLetters: 0 });
    });
  });

  describe('dry-run records', () => {
    it('are listed most recent first, with objects per array, and shown whole', async () => {
      await b.dryRuns.record(request(2));
      clock += 1000;
      await b.dryRuns.record({ endpoint: '/users/identify', body: { aliases_to_identify: [{ external_id: 'u' }], merge_behavior: 'merge' } });
      const { total, items } = await b.dryRuns.list(10);
      expect(total).toBe(2);
      expect(items.map((r) => [r.endpoint, r.objects, r.at])).toEqual([
        ['/users/identify', { aliases_to_identify: 1 }, new Date(T + 1000).toISOString()],
        ['/users/track', { events: 2 }, new Date(T).toISOString()],
      ]);
      expect(items[0].id).toBeGreaterThan(items[1].id);
      expect(await b.dryRuns.show(items[1].id)).toEqual(items[1]);
      expect(items[1].body).toEqual(request(2).body);
      expect(await b.dryRuns.list(1)).toEqual({ total: 2, items: [items[0]] });
      expect(await b.dryRuns.show(items[0].id + 1)).toBeUndefined();
    });

    it('purge removes the ids named (how many there were) or all of them; numbers are not given again', async () => {
      for (let n = 1; n <= 3; n++) await b.dryRuns.record(request(n));
      const ids = (await b.dryRuns.list(10)).items.map((r) => r.id);
      expect(await b.dryRuns.purge([ids[1], 99_999])).toBe(1);
      expect((await b.dryRuns.list(10)).items.map((r) => r.id)).toEqual([ids[0], ids[2]]);
      expect(await b.dryRuns.purge('all')).toBe(2);
      expect(await b.dryRuns.list(10)).toEqual({ total: 0, items: [] });
      await b.dryRuns.record(request(1));
      expect((await b.dryRuns.list(10)).items[0].id).toBeGreaterThan(ids[0]);
    });

    it(`keep the most recent ${KEPT.toLocaleString('en')}`, async () => {
      const extra = 5;
      for (let n = 0; n < KEPT + extra; n += 1000) await Promise.all(Array.from({ length: Math.min(1000, KEPT + extra - n) }, () => b.dryRuns.record(request(1))));
      const { total, items } = await b.dryRuns.list(1);
      expect(total).toBe(KEPT);
      const newest = items[0].id;
      expect(await b.dryRuns.show(newest - KEPT)).toBeUndefined();
      expect(await b.dryRuns.show(newest - KEPT + 1)).toMatchObject({ id: newest - KEPT + 1 });
    });
  });

  describe('dropped messages', () => {
    it('a commit keeps each message it dropped, with its code and message, most recent first, counted by code; a duplicate is not kept again', async () => {
      expect(await enqueue(b.queue, [droppedMessage('d1', 'EACH_EMPTY'), stored('kept', 'u'), droppedMessage('d2', 'ALL_ITEMS_SKIPPED')])).toMatchObject({ dropped: ['EACH_EMPTY', 'ALL_ITEMS_SKIPPED'] });
      clock += 1000;
      expect(await enqueue(b.queue, [droppedMessage('d3', 'EACH_EMPTY'), droppedMessage('d1', 'EACH_EMPTY')])).toMatchObject({ duplicates: 1, dropped: ['EACH_EMPTY'] });
      const { total, byCode, items } = await b.dropped.list(10);
      expect({ total, byCode }).toEqual({ total: 3, byCode: { ALL_ITEMS_SKIPPED: 1, EACH_EMPTY: 2 } });
      expect(Object.keys(byCode)).toEqual(['ALL_ITEMS_SKIPPED', 'EACH_EMPTY']);
      expect(items.map((r) => r.messageId)).toEqual(['d3', 'd2', 'd1']);
      expect(items[0]).toEqual({ id: expect.any(Number), at: new Date(T + 1000).toISOString(), messageId: 'd3', userKey: 'u', code: 'EACH_EMPTY', message: messageOf('d3', 'u') });
      expect(await b.dropped.show(items[2].id)).toEqual(items[2]);
      expect(await b.dropped.show(items[0].id + 1000)).toBeUndefined();
      expect((await b.dropped.list(1)).items).toEqual([items[0]]);
    });

    it('one committed without its message is kept with none', async () => {
      await enqueue(b.queue, [{ ...droppedMessage('d1', 'NO_OBJECTS'), message: undefined }]);
      expect((await b.dropped.list(10)).items).toEqual([expect.objectContaining({ messageId: 'd1', code: 'NO_OBJECTS', message: null })]);
    });

    it('purge removes the ids named (how many there were) or all of them, and the counts by code follow', async () => {
      await enqueue(b.queue, [droppedMessage('d1', 'EACH_EMPTY'), droppedMessage('d2', 'ALL_ITEMS_SKIPPED'), droppedMessage('d3', 'EACH_EMPTY')]);
      const [d3, d2] = (await b.dropped.list(10)).items.map((r) => r.id);
      expect(await b.dropped.purge([d2, d3, d3 + 1000])).toBe(2);
      expect(await b.dropped.list(10)).toMatchObject({ total: 1, byCode: { EACH_EMPTY: 1 }, items: [{ messageId: 'd1' }] });
      expect(await b.dropped.purge('all')).toBe(1);
      expect(await b.dropped.list(10)).toEqual({ total: 0, byCode: {}, items: [] });
    });

    it(`keep the most recent ${KEPT.toLocaleString('en')}, and the counts by code are of those`, async () => {
      const messages = Array.from({ length: KEPT + 5 }, (_, n) => droppedMessage(`d${n}`, n < 5 ? 'EACH_EMPTY' : 'NO_OBJECTS'));
      expect((await enqueue(b.queue, messages)).dropped).toHaveLength(KEPT + 5);
      const { total, byCode, items } = await b.dropped.list(1);
      expect({ total, byCode, newest: items[0].messageId }).toEqual({ total: KEPT, byCode: { NO_OBJECTS: KEPT }, newest: `d${KEPT + 4}` });
      expect(await b.dropped.show(items[0].id - KEPT)).toBeUndefined();
      expect(await b.dropped.show(items[0].id - KEPT + 1)).toMatchObject({ messageId: 'd5' });
    });
  });

  describe('alias-merge memory', () => {
    it('answers for a whole round which of its keys were merged before', async () => {
      expect(await b.merges.merged(['k1', 'k2'])).toEqual(new Set());
      await b.merges.remember(['k1', 'k3']);
      await b.merges.remember(['k3']);
      await b.merges.remember([]);
      expect(await b.merges.merged(['k1', 'k2', 'k3', 'k4'])).toEqual(new Set(['k1', 'k3']));
      expect(await b.merges.merged([])).toEqual(new Set());
    });
  });
});

describe('the Redis alias-merge memory', () => {
  it('is bounded: it remembers the most recently merged pairs, and forgets the oldest', async () => {
    let clock = T;
    const queue = await openRedisQueue(() => clock);
    try {
      const merges = new RedisMergeMemory(queue, 3);
      for (const key of ['k1', 'k2', 'k3', 'k4']) {
        await merges.remember([key]);
        clock += 1;
      }
      await merges.remember(['k5', 'k6']);
      expect(await merges.merged(['k1', 'k2', 'k3', 'k4', 'k5', 'k6'])).toEqual(new Set(['k4', 'k5', 'k6']));
      expect(await queue.client.zcard(`${queue.prefix}merged`)).toBe(3);
    } finally {
      await queue.close();
      await dropKeys(queue.prefix);
    }
  });
});
