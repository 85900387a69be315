import Redis from 'ioredis';
import { expandBatch, expansionOf, InboxExpander } from '../../src/ingest/inbox-expander';
import { AcceptedRequest, InboxEntry, InboxPosition } from '../../src/queue/ports/request-inbox.port';
import { MappedBatch } from '../../src/queue/ports/work-queue.port';
import { RedisInboxSource, RedisRequestInbox } from '../../src/queue/redis/redis-inbox';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';
import { eventually } from '../helpers/delivery';
import { defaultPlan } from '../helpers/engine';
import { leaseFor, names } from '../helpers/queue';
import { dropKeys, freshPrefix, openRedisQueue, patternUnder, REDIS_URL } from '../helpers/redis';

const T = Date.parse('2024-03-01T12:00:00.000Z');
const plan = defaultPlan();
/** A track message whose Braze event is named `<user>/<seq>`, so the queue's order per user can be read off the lease. */
const message = (user: string, seq: number) => ({ type: 'track', userId: user, event: `${user}/${seq}`, messageId: `${user}-${seq}`, timestamp: '2024-03-01T12:00:00.000Z' });

function request(messages: object[], n: number): AcceptedRequest {
  return { source: 'batch', body: Buffer.from(JSON.stringify({ batch: messages })), receivedAt: T, idBase: `sb-${n}`, skip: [], messages: messages.length };
}

/** One instance on the shared Redis: its own connections, its inbox end and its reader (consumer `name`). */
interface Instance {
  readonly queue: RedisWorkQueue;
  readonly inbox: RedisRequestInbox;
  readonly source: RedisInboxSource;
}

/** Where an instance's expansion reads and commits. */
const endsOf = (one: Instance) => ({ inbox: one.source, queue: one.queue, onCommitted: (listener: () => void) => one.queue.wakeUp.listen(listener) });

/** What an instance's expansion would commit of what it read. */
function mapped(read: { entries: readonly InboxEntry[]; position: InboxPosition }): MappedBatch {
  const expansions = read.entries.map((entry) => expansionOf(entry, plan));
  return { messages: expansions.flatMap((e) => e.messages), refused: expansions.flatMap((e) => e.refused), inboxPosition: read.position };
}

describe('the request inbox in Redis, read by several instances', () => {
  let prefix: string;
  let client: Redis;
  const opened: Instance[] = [];
  const expanders: InboxExpander[] = [];
  const instance = async (name: string, claimAfterMs = 60_000, forgetReadersAfterMs?: number): Promise<Instance> => {
    const queue = await openRedisQueue(() => T, prefix);
    const one = { queue, inbox: new RedisRequestInbox(queue), source: new RedisInboxSource(queue, name, { claimAfterMs, blockMs: 20, forgetReadersAfterMs }) };
    opened.push(one);
    return one;
  };
  const streamLength = () => client.xlen(`${prefix}inbox`);
  const order = async (queue: RedisWorkQueue) => names(await leaseFor(queue, 10_000));

  beforeEach(async () => {
    prefix = freshPrefix();
    client = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(expanders.splice(0).map((e) => e.stop()));
    await Promise.all(opened.splice(0).map((o) => o.queue.close()));
    client.disconnect();
    await dropKeys(prefix);
  });

  it('keeps each accepted request as it came, counts its messages as waiting, and deletes it once its work has committed', async () => {
    const a = await instance('a');
    await a.inbox.accept(request([message('u', 1), message('u', 2)], 1));
    await a.inbox.accept(request([message('v', 1)], 2));
    expect(await streamLength()).toBe(2);
    expect(await a.queue.stats()).toMatchObject({ inboxMessages: 3, pending: 0 });
    const read = await a.source.read(1000);
    expect(read.entries).toEqual([request([message('u', 1), message('u', 2)], 1), request([message('v', 1)], 2)]);
    // Not committed yet: the next read (the expansion after a failed commit) gets the same entries again.
    expect(await expandBatch(endsOf(a), plan, 1000)).toMatchObject({ requests: 2, messages: 3, duplicates: 0 });
    expect(await a.queue.stats()).toMatchObject({ inboxMessages: 0, pending: 3 });
    expect(await streamLength()).toBe(0);
    expect(await client.xpending(`${prefix}inbox`, 'expand')).toEqual([0, null, null, null]);
    expect(await expandBatch(endsOf(a), plan, 1000)).toBeNull();
  });

  it("takes over what a silent reader read once the claim time has passed, and refuses that reader's commit whole", async () => {
    const a = await instance('a', 1500);
    const b = await instance('b', 1500);
    await a.inbox.accept(request([message('u', 1), message('v', 1)], 1));
    const readByA = await a.source.read(100);
    expect(readByA.entries).toHaveLength(1);
    expect((await b.source.read(100)).entries).toEqual([]); // a live reader's entries are its own
    let readByB = await b.source.read(100);
    await eventually(async () => (readByB = await b.source.read(100)).entries.length === 1, "b to take over a's entry after the claim time");
    expect(await a.queue.commit(mapped(readByA))).toEqual({ uncommitted: 'reread' });
    expect(await a.queue.stats()).toMatchObject({ inboxMessages: 2, pending: 0, deadLetters: 0 });
    // a's refused commit claimed no message id: b's commit of the same messages finds them new.
    expect(await b.queue.commit(mapped(readByB))).toEqual({ accepted: 2, duplicates: 0, dropped: [] });
    expect(await a.queue.stats()).toMatchObject({ inboxMessages: 0, pending: 2 });
    expect(await streamLength()).toBe(0);
  });

  it('a batch behind an older one read by another instance waits for it, so each user stays in acceptance order', async () => {
    const a = await instance('a');
    const b = await instance('b');
    await a.inbox.accept(request([message('u', 1)], 1));
    await b.inbox.accept(request([message('u', 2)], 2));
    const readByA = await a.source.read(1);
    const readByB = await b.source.read(1);
    const batchOfB = mapped(readByB);
    expect(await b.queue.commit(batchOfB)).toEqual({ uncommitted: 'behind' });
    // Asked again as it is (what the expander does): only its turn is asked, and it is not yet.
    expect(await b.queue.commit(batchOfB)).toEqual({ uncommitted: 'behind' });
    expect(await b.queue.stats()).toMatchObject({ inboxMessages: 2, pending: 0 });
    expect(await a.queue.commit(mapped(readByA))).toMatchObject({ accepted: 1 });
    expect(await b.queue.commit(batchOfB)).toMatchObject({ accepted: 1 });
    expect(await order(a.queue)).toEqual(['u/1', 'u/2']);
  });

  it('an instance behind a dead one takes over its older entries after the claim time and commits them first', async () => {
    const dead = await instance('dead', 300);
    const b = await instance('b', 300);
    await b.inbox.accept(request([message('u', 1)], 1));
    await b.inbox.accept(request([message('u', 2)], 2));
    expect((await dead.source.read(1)).entries).toHaveLength(1); // read, never committed
    expect(await expandBatch(endsOf(b), plan, 1)).toMatchObject({ messages: 1 });
    expect(await expandBatch(endsOf(b), plan, 1)).toMatchObject({ messages: 1 });
    expect(await order(b.queue)).toEqual(['u/1', 'u/2']);
    expect(await streamLength()).toBe(0);
  });

  it('forgets the readers of instances gone for good (silent and holding nothing), never one that holds entries', async () => {
    const holder = await instance('holder');
    await holder.inbox.accept(request([message('u', 1)], 1));
    expect((await holder.source.read(1)).entries).toHaveLength(1); // pending to it, never committed
    await client.xgroup('CREATECONSUMER', `${prefix}inbox`, 'expand', 'gone');
    const readers = async () => ((await client.xinfo('CONSUMERS', `${prefix}inbox`, 'expand')) as string[][]).map((c) => c[1]).sort();
    expect(await readers()).toEqual(['gone', 'holder']);
    const live = await instance('live', 60_000, 1);
    await eventually(async () => {
      await live.source.read(1);
      return (await readers()).join() === 'holder,live';
    }, 'the silent reader forgotten');
    expect(await readers()).toEqual(['holder', 'live']);
  });

  it('two instances expanding interleaved requests at once commit every message once and every user in acceptance order; nothing is left in the stream', async () => {
    const a = await instance('a');
    const b = await instance('b');
    const reports = { a: 0, b: 0 };
    const expanderOf = (one: Instance, name: 'a' | 'b') =>
      new InboxExpander(endsOf(one), () => plan, { batchMessages: 5, shareUnderLoad: 1, saturated: () => false }, { expanded: (r) => (reports[name] += r.messages) });
    expanders.push(expanderOf(a, 'a'), expanderOf(b, 'b'));
    expanders.forEach((e) => e.start());
    // 40 users, 10 messages each, in requests of 1–4 messages of several users, through both instances' inboxes.
    const users = Array.from({ length: 40 }, (_, u) => `user-${u}`);
    const next = new Map(users.map((u) => [u, 0]));
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let n = 0, left = 400; left > 0; n++) {
      const batch: object[] = [];
      for (let size = Math.min(left, 1 + random(4)); batch.length < size; ) {
        const user = users[random(users.length)];
        if (next.get(user)! >= 10) continue;
        next.set(user, next.get(user)! + 1);
        batch.push(message(user, next.get(user)!));
      }
      left -= batch.length;
      // A user's requests are answered before the next is sent, as an SDK does: acceptance order is the stream's.
      await (n % 2 === 0 ? a : b).inbox.accept(request(batch, n));
    }
    await eventually(async () => (await a.queue.stats()).pending === 400, 'both instances to expand all 400 messages', 30_000);
    await Promise.all(expanders.map((e) => e.stop()));
    expect(reports.a + reports.b).toBe(400);
    expect(reports.a).toBeGreaterThan(0);
    expect(reports.b).toBeGreaterThan(0);
    const delivered = await order(a.queue);
    expect(new Set(delivered).size).toBe(400);
    for (const user of users) expect(delivered.filter((name) => name.startsWith(`${user}/`))).toEqual(Array.from({ length: 10 }, (_, i) => `${user}/${i + 1}`));
    expect(await a.queue.stats()).toMatchObject({ inboxMessages: 0 });
    expect(await streamLength()).toBe(0);
    expect(await client.xpending(`${prefix}inbox`, 'expand')).toEqual([0, null, null, null]);
    const keys = (await client.keys(patternUnder(prefix))).map((key) => key.slice(prefix.length));
    expect(keys.filter((key) => key === 'inbox' || key.startsWith('inbox:'))).toEqual(['inbox']); // the empty stream, holding the group
  }, 60_000);
});
