import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExpansionReport } from '../../src/ingest/inbox-expander';
import { ExpanderThread } from '../../src/ingest/expander-thread';
import { loadMappings, MappingRegistry } from '../../src/mapping/mapping.registry';
import { AcceptedRequest } from '../../src/queue/ports/request-inbox.port';
import { WorkQueue } from '../../src/queue/ports/work-queue.port';
import { RedisRequestInbox } from '../../src/queue/redis/redis-inbox';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { eventually } from '../helpers/delivery';
import { leaseFor } from '../helpers/queue';
import { dropKeys, freshPrefix, openRedisQueue, REDIS_URL } from '../helpers/redis';

// The thread runs the build (dist/), which `npm test` makes first.
const T = Date.parse('2024-03-01T12:00:00.000Z');
const track = (n: number, event = `Event ${n}`) => ({ type: 'track', userId: `u${n}`, event, timestamp: '2024-03-01T12:00:00.000Z', messageId: `m${n}` });

function request(messages: object[], n: number): AcceptedRequest {
  return { source: 'batch', body: Buffer.from(JSON.stringify({ batch: messages })), receivedAt: T, idBase: `sb-${n}`, skip: [], messages: messages.length };
}

/** A mapping directory whose one rule names every event `<prefix>: <event>`, so which plan served a message shows in its work. */
async function mappingNaming(prefix: string): Promise<Awaited<ReturnType<typeof loadMappings>>> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-maps-'));
  writeFileSync(
    join(dir, 'events.yaml'),
    ['version: 1', 'rules:', '  - name: events', '    when: { "==": [{ var: type }, track] }', '    events:', '      fields:', `        name: { template: "${prefix}: {{event}}" }`, '        time: { path: timestamp, transform: iso8601, required: true }', ''].join('\n'),
  );
  return loadMappings(dir, () => new Date(T));
}

function open(dataDir: string, registry: MappingRegistry, reports: ExpansionReport[], errors: string[] = []) {
  const store = new SqliteQueue(dataDir, () => T);
  const thread = new ExpanderThread({ thread: { kind: 'sqlite', dataDir, synchronous: 'NORMAL' }, local: store.inbox! }, registry, { batchMessages: 2, shareUnderLoad: 0.1 }, { expanded: (r) => reports.push(r), warn: () => undefined, error: (m) => errors.push(m) });
  return { store, thread };
}

const names = async (store: WorkQueue) => (await leaseFor(store, 100)).items.map((item) => (item.object as { name: string }).name);

describe('the inbox expanded on a worker thread', () => {
  it('makes the inbox into work on its own connection, and reports each transaction for the metrics', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-thread-'));
    const registry = new MappingRegistry(await mappingNaming('v1'));
    const reports: ExpansionReport[] = [];
    const errors: string[] = [];
    const { store, thread } = open(dataDir, registry, reports, errors);
    await store.accept(request([track(1), track(2), track(3)], 1)); // before the thread starts: waiting on disk
    thread.start();
    await store.accept(request([track(4)], 2));
    await eventually(async () => (await store.stats()).inboxMessages === 0 && (await store.stats()).pending === 4, 'the thread to expand both requests');
    await thread.stop();
    expect((await names(store)).sort()).toEqual(['v1: Event 1', 'v1: Event 2', 'v1: Event 3', 'v1: Event 4']);
    expect(reports.reduce((n, r) => n + r.messages, 0)).toBe(4);
    expect(reports.reduce((n, r) => n + r.requests, 0)).toBe(2);
    expect(reports.flatMap((r) => r.objects).reduce((n, [kind, count]) => n + (kind === 'events' ? count : 0), 0)).toBe(4);
    expect(errors).toEqual([]);
    await store.close();
  });

  it('maps with the plan of now: a swap of the mappings reaches the thread', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-thread-'));
    const registry = new MappingRegistry(await mappingNaming('v1'));
    const { store, thread } = open(dataDir, registry, []);
    thread.start();
    await store.accept(request([track(1)], 1));
    await eventually(async () => (await store.stats()).pending === 1, 'the first request to be expanded');
    registry.swap(await mappingNaming('v2'));
    // The swap message is sent before the append's: the thread reads it first.
    await store.accept(request([track(2)], 2));
    await eventually(async () => (await store.stats()).pending === 2, 'the second request to be expanded');
    await thread.stop();
    expect((await names(store)).sort()).toEqual(['v1: Event 1', 'v2: Event 2']);
    await store.close();
  });

  it('leaves what arrives after stop() on disk, and a new thread takes it up where the last one committed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-thread-'));
    const registry = new MappingRegistry(await mappingNaming('v1'));
    const first = open(dataDir, registry, []);
    first.thread.start();
    await first.store.accept(request([track(1), track(2)], 1));
    await eventually(async () => (await first.store.stats()).pending === 2, 'the first request to be expanded');
    expect(first.thread.isRunning).toBe(true);
    await first.thread.stop();
    await first.store.accept(request([track(3)], 2));
    expect(first.thread.isRunning).toBe(false); // no thread is left that could expand it
    expect(await first.store.stats()).toMatchObject({ inboxMessages: 1, pending: 2 });
    await first.store.close();

    const reports: ExpansionReport[] = [];
    const second = open(dataDir, registry, reports);
    expect(await second.store.stats()).toMatchObject({ inboxMessages: 1, pending: 2 });
    second.thread.start();
    await eventually(async () => (await second.store.stats()).inboxMessages === 0, 'the reopened inbox to be expanded');
    await second.thread.stop();
    expect((await names(second.store)).sort()).toEqual(['v1: Event 1', 'v1: Event 2', 'v1: Event 3']);
    expect(reports.map((r) => r.messages)).toEqual([1]);
    await second.store.close();
  });

  it('starts a new thread when one dies, and the new one loses and repeats nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-thread-'));
    const registry = new MappingRegistry(await mappingNaming('v1'));
    const errors: string[] = [];
    const { store, thread } = open(dataDir, registry, [], errors);
    thread.start();
    await store.accept(request([track(1)], 1));
    await eventually(async () => (await store.stats()).pending === 1, 'the first request to be expanded');
    // Texts that do not compile can only come from a bug; the thread dies of them.
    registry.swap({ ...registry.current, sources: [{ file: 'broken.yaml', text: 'version: [' }] });
    await eventually(() => errors.some((e) => /starting a new one/.test(e)), 'the thread to die');
    expect(errors[0]).toMatch(/expansion thread failed: the mapping the service serves did not compile/);
    registry.swap(await mappingNaming('v2'));
    await store.accept(request([track(2)], 2));
    await eventually(async () => (await store.stats()).inboxMessages === 0 && (await store.stats()).pending === 2, 'the new thread to expand the second request');
    await thread.stop();
    expect((await names(store)).sort()).toEqual(['v1: Event 1', 'v2: Event 2']);
    await store.close();
  });
});

describe('the inbox expanded on a worker thread, from Redis', () => {
  it('opens Redis ends of its own, reads on as requests are appended with no word from the service, and reports each transaction', async () => {
    const prefix = freshPrefix();
    const queue = await openRedisQueue(() => T, prefix);
    const inbox = new RedisRequestInbox(queue);
    const registry = new MappingRegistry(await mappingNaming('v1'));
    const reports: ExpansionReport[] = [];
    const errors: string[] = [];
    const store = { thread: { kind: 'redis', url: REDIS_URL, prefix, consumer: 'instance-a', claimAfterMs: 30_000 } } as const;
    const thread = new ExpanderThread(store, registry, { batchMessages: 2, shareUnderLoad: 0.1 }, { expanded: (r) => reports.push(r), warn: () => undefined, error: (m) => errors.push(m) });
    try {
      await inbox.accept(request([track(1), track(2), track(3)], 1)); // before the thread starts: waiting in Redis
      thread.start();
      await eventually(async () => (await queue.stats()).pending === 3, 'the thread to expand the first request');
      await inbox.accept(request([track(4)], 2)); // appended by "another instance": the thread hears it by reading
      await eventually(async () => (await queue.stats()).inboxMessages === 0 && (await queue.stats()).pending === 4, 'the thread to expand the second request');
      await thread.stop();
      expect((await names(queue)).sort()).toEqual(['v1: Event 1', 'v1: Event 2', 'v1: Event 3', 'v1: Event 4']);
      expect(reports.reduce((n, r) => n + r.messages, 0)).toBe(4);
      expect(reports.reduce((n, r) => n + r.requests, 0)).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await thread.stop();
      await queue.close();
      await dropKeys(prefix);
    }
  });
});
