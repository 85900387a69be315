import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { ChangesObserver } from '../../src/delivery/attribute-filter';
import { DeliveryWorker } from '../../src/delivery/delivery.worker';
import { HttpBrazeSender } from '../../src/delivery/http-braze.sender';
import { trackLimits } from '../../src/delivery/pack';
import { mapMessage } from '../../src/engine';
import { AttributeMemory } from '../../src/queue/ports/attribute-memory.port';
import { MergeMemory } from '../../src/queue/ports/merge-memory.port';
import { QueuedMessage, WorkQueue } from '../../src/queue/ports/work-queue.port';
import { RedisMergeMemory } from '../../src/queue/redis/redis-merge-memory';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { defaultPlan } from '../helpers/engine';
import { MemoryAttributeMemory } from '../helpers/memory-attribute-memory';
import { enqueue } from '../helpers/queue';
import { dropKeys, freshPrefix, openRedisQueue } from '../helpers/redis';

const SILENT = { log: () => undefined, warn: () => undefined, error: () => undefined };
const PLAN = defaultPlan();
const T0 = Date.UTC(2026, 0, 1);

/** A store that can be closed and opened again on the same data: a restart. */
interface Store {
  readonly queue: WorkQueue;
  readonly merges: MergeMemory;
}

const BACKENDS: [string, () => Promise<{ open(): Promise<Store>; close(store: Store): Promise<void>; drop(): Promise<void> }>][] = [
  [
    'sqlite',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'sb-changes-'));
      return {
        open: async () => ((store) => ({ queue: store, merges: store.merges }))(new SqliteQueue(dataDir, () => Date.now())),
        close: (store) => store.queue.close(),
        drop: async () => undefined,
      };
    },
  ],
  [
    'redis',
    async () => {
      const prefix = freshPrefix();
      return {
        open: async () => ((queue) => ({ queue, merges: new RedisMergeMemory(queue) }))(await openRedisQueue(() => Date.now(), prefix)),
        close: (store) => store.queue.close(),
        drop: () => dropKeys(prefix),
      };
    },
  ],
];

/** A Segment message as the expansion queues it: mapped with the default mapping. */
function queued(message: Record<string, unknown>): QueuedMessage {
  const result = mapMessage(PLAN, message);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return { messageId: message.messageId as string, userKey: (message.userId ?? message.anonymousId) as string, receivedAt: new Date(T0).toISOString(), requests: result.requests, warnings: [], message };
}

let seq = 0;
const identify = (userId: string, traits: Record<string, unknown>, at = T0 + seq) => queued({ type: 'identify', userId, traits, messageId: `m${++seq}`, timestamp: new Date(at).toISOString() });

describe.each(BACKENDS)('sending only what changed, delivered to the sandbox: %s', (_name, backendOf) => {
  let backend: Awaited<ReturnType<(typeof BACKENDS)[number][1]>>;
  let store: Store;
  let sandbox: BrazeSandbox;
  let http: HttpBrazeSender;
  let worker: DeliveryWorker | null;
  let counted: { sent: Record<string, number>; saved: Record<string, number>; notSent: number };

  beforeEach(async () => {
    backend = await backendOf();
    store = await backend.open();
    sandbox = await startBrazeSandbox();
    http = new HttpBrazeSender(new HttpService(axios.create()), { endpoint: sandbox.url, apiKey: 'sandbox-key', timeoutMs: 5000, maxSockets: 4 });
    counted = { sent: {}, saved: {}, notSent: 0 };
    worker = null;
  });
  afterEach(async () => {
    await worker?.stop();
    http.close();
    await backend.close(store);
    await backend.drop();
    await sandbox.close();
  });

  const observer: ChangesObserver = {
    dataPointsSent: (kind, n) => (counted.sent[kind] = (counted.sent[kind] ?? 0) + n),
    dataPointsSaved: (reason, n) => (counted.saved[reason] = (counted.saved[reason] ?? 0) + n),
    objectsNotSent: (n) => (counted.notSent += n),
  };

  function start(memory: AttributeMemory | null): void {
    const options = { flushMs: 20, concurrency: 4, limits: trackLimits('combined', 75), maxAttempts: 3, pauseProbeMs: 50, retryBaseMs: 20, retryCapMs: 200, owner: 'test', leaseTtlMs: 30_000 };
    worker = new DeliveryWorker({ queue: store.queue, merges: store.merges, attributes: memory }, http, () => Date.now(), options, SILENT, Math.random, { changes: observer });
    worker.start();
  }

  async function drained(): Promise<void> {
    await eventually(async () => ((s) => s.pending === 0 && s.leased === 0)(await store.queue.stats()), 'the queue to drain');
  }

  async function deliver(messages: QueuedMessage[]): Promise<void> {
    await enqueue(store.queue, messages);
    await drained();
  }

  /** How many times the sandbox accepted each user's attribute, `user key=value` → times. */
  function accepted(): Map<string, number> {
    const times = new Map<string, number>();
    for (const r of sandbox.received.filter((r) => r.array === 'attributes')) {
      const user = (r.object.external_id ?? JSON.stringify(r.object.user_alias)) as string;
      for (const [key, value] of Object.entries(r.object)) {
        if (key === 'external_id' || key === 'user_alias' || key === '_update_existing_only') continue;
        const name = `${user} ${key}=${JSON.stringify(value)}`;
        times.set(name, (times.get(name) ?? 0) + 1);
      }
    }
    return times;
  }

  it('the same identify sent 5 times for 100 users delivers each attribute once, in a round and across rounds; a changed trait alone is sent', async () => {
    const users = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    const traits = (u: string) => ({ email: `${u}@example.com`, plan: 'pro', address: { city: 'Paris' }, tags: ['a', 'b'] });
    // Two before delivery starts: a user's two objects meet in one round.
    await enqueue(store.queue, [...users.map((u) => identify(u, traits(u))), ...users.map((u) => identify(u, traits(u)))]);
    start(new MemoryAttributeMemory());
    await drained();
    for (let n = 0; n < 3; n++) await deliver(users.map((u) => identify(u, traits(u))));
    const times = accepted();
    expect(times.size).toBe(100 * 4);
    expect([...times.values()].every((t) => t === 1)).toBe(true);
    expect(sandbox.received.filter((r) => r.array === 'attributes')).toHaveLength(100);
    expect(counted).toEqual({ sent: { attribute: 100 * 4 }, saved: { unchanged: 400 * 4 }, notSent: 400 });

    await deliver([identify('user-7', { ...traits('user-7'), plan: 'team' })]);
    expect(sandbox.received.at(-1)).toMatchObject({ array: 'attributes', object: { external_id: 'user-7', plan: 'team' } });
    expect(Object.keys(sandbox.received.at(-1)!.object).sort()).toEqual(['external_id', 'plan']);
  });

  it('an object Braze refuses is not remembered: its values are sent again next time', async () => {
    sandbox.inject({ kind: 'fatal-object', match: { plan: 'bad' }, count: 1 });
    start(new MemoryAttributeMemory());
    await deliver([identify('u1', { plan: 'bad', email: 'u1@example.com' })]);
    expect(await store.queue.stats()).toMatchObject({ deadLetters: 1 });
    expect(sandbox.received).toEqual([]);
    await deliver([identify('u1', { plan: 'bad', email: 'u1@example.com' })]);
    expect(sandbox.received.map((r) => r.object)).toEqual([{ external_id: 'u1', plan: 'bad', email: 'u1@example.com' }]);
  });

  it('a 400 refused whole is not remembered either', async () => {
    sandbox.inject({ kind: 'status', status: 400, count: 1, body: { message: 'Valid data must be provided' } });
    start(new MemoryAttributeMemory());
    await deliver([identify('u1', { plan: 'pro' })]);
    expect(await store.queue.stats()).toMatchObject({ deadLetters: 1 });
    await deliver([identify('u1', { plan: 'pro' })]);
    expect(sandbox.received.map((r) => r.object)).toEqual([{ external_id: 'u1', plan: 'pro' }]);
  });

  it("two objects of a user in one request: when Braze refuses the earlier, what the later left out relying on it is sent again next time", async () => {
    await enqueue(store.queue, [identify('u1', { plan: 'pro', bio: 'x'.repeat(300) }), identify('u1', { plan: 'pro', email: 'a@x.io' })]);
    start(new MemoryAttributeMemory());
    await drained();
    expect(await store.queue.stats()).toMatchObject({ deadLetters: 1 });
    expect(sandbox.received.map((r) => r.object)).toEqual([{ external_id: 'u1', email: 'a@x.io' }]);
    await deliver([identify('u1', { plan: 'pro', email: 'a@x.io' })]);
    expect(sandbox.received.map((r) => r.object).at(-1)).toEqual({ external_id: 'u1', plan: 'pro', email: 'a@x.io' });
  });

  it('a request refused whole and split: the halves send each object as compared with the memory alone', async () => {
    await enqueue(store.queue, [identify('u1', { plan: 'pro' }), identify('u1', { plan: 'pro', email: 'a@x.io' })]);
    sandbox.inject({ kind: 'status', status: 400, count: 1, body: { message: 'Valid data must be provided' } });
    start(new MemoryAttributeMemory());
    await drained();
    expect(sandbox.received.map((r) => r.object)).toEqual([{ external_id: 'u1', plan: 'pro' }, { external_id: 'u1', plan: 'pro', email: 'a@x.io' }]);
  });

  it('the memory outlives a restart of the store and the worker', async () => {
    const memory = new MemoryAttributeMemory();
    start(memory);
    await deliver([identify('u1', { plan: 'pro', email: 'a@x.io' })]);
    await worker!.stop();
    await backend.close(store);
    store = await backend.open();
    start(memory);
    await deliver([identify('u1', { plan: 'pro', email: 'b@x.io' })]);
    expect(sandbox.received.map((r) => r.object)).toEqual([{ external_id: 'u1', plan: 'pro', email: 'a@x.io' }, { external_id: 'u1', email: 'b@x.io' }]);
  });

  it('out of order: the older message\'s attribute is left out as stale, in one round and across rounds', async () => {
    start(new MemoryAttributeMemory());
    await deliver([identify('u1', { email: 'new@x.io' }, T0 + 10_000)]);
    await deliver([identify('u1', { email: 'old@x.io', plan: 'pro' }, T0)]);
    await worker!.stop();
    await enqueue(store.queue, [identify('u2', { email: 'new@x.io' }, T0 + 10_000), identify('u2', { email: 'old@x.io' }, T0)]);
    start(new MemoryAttributeMemory());
    await drained();
    expect(sandbox.received.map((r) => r.object)).toEqual([
      { external_id: 'u1', email: 'new@x.io' },
      { external_id: 'u1', plan: 'pro' },
      { external_id: 'u2', email: 'new@x.io' },
    ]);
    expect(counted.saved).toEqual({ stale: 2 });
  });

  it('an alias merged into a known user: what was remembered of both is forgotten, so their values are sent again', async () => {
    const memory = new MemoryAttributeMemory();
    start(memory);
    const anonymous = () => queued({ type: 'identify', anonymousId: 'anon-1', traits: { plan: 'free' }, messageId: `m${++seq}`, timestamp: new Date(T0).toISOString() });
    await deliver([anonymous(), identify('u1', { plan: 'pro' })]);
    await deliver([anonymous(), identify('u1', { plan: 'pro' })]);
    expect(sandbox.received.filter((r) => r.array === 'attributes')).toHaveLength(2);
    await deliver([queued({ type: 'identify', userId: 'u1', anonymousId: 'anon-1', traits: { plan: 'pro' }, messageId: `m${++seq}`, timestamp: new Date(T0).toISOString() })]);
    await deliver([anonymous()]);
    expect(sandbox.received.map((r) => [r.array, r.object.plan ?? null])).toEqual([
      ['attributes', 'free'],
      ['attributes', 'pro'],
      ['aliases_to_identify', null],
      ['attributes', 'pro'],
      ['attributes', 'free'],
    ]);
  });

  it('without a memory (ATTRIBUTE_MEMORY=false) everything is sent, and data points are still counted', async () => {
    start(null);
    await deliver([identify('u1', { plan: 'pro' }), identify('u1', { plan: 'pro' })]);
    await deliver([identify('u1', { plan: 'pro' })]);
    expect(sandbox.received.map((r) => r.object)).toEqual(Array.from({ length: 3 }, () => ({ external_id: 'u1', plan: 'pro' })));
    expect(counted).toEqual({ sent: { attribute: 3 }, saved: {}, notSent: 0 });
  });
});
