import Redis from 'ioredis';
import { DEFAULT_REDIS_PREFIX } from '../../config/app-config';
import { CommitResult, DEDUP_WINDOW_MS, Lease, LeaseLimits, MappedBatch, QueueStats, Settlement, SettleResult, StoreHealth, Uncommitted, WorkId, WorkItem, WorkObject, WorkQueue } from '../ports/work-queue.port';
import { isStreamPosition } from './redis-inbox';
import { workObjectsOf } from '../work-objects';
import { defineScripts, RunScript } from './redis-scripts';
import { RedisWakeUp } from './redis-wake-up';
import { connectRedis, endRedis, RedisConnectOptions } from './redis-connection';

export interface RedisQueueOptions extends RedisConnectOptions {
  readonly prefix?: string;
}

type LeasedRow = [string, string, string, string, string, string | null, string, string, string | null, string | null, string | null, string | null];

const NOTHING = Object.freeze({ id: '', expiresAt: 0, items: Object.freeze([]) as readonly WorkItem[] });

function toItem([id, messageId, userKey, endpoint, array, options, object, position, attempts, mergeKey, eventTime, changesOnly]: LeasedRow): WorkItem {
  return {
    id: id as WorkId,
    messageId,
    userKey,
    endpoint: endpoint as WorkItem['endpoint'],
    array,
    options: options ? JSON.parse(options) : {},
    object: JSON.parse(object),
    position: Number(position),
    attempts: Number(attempts ?? 0),
    mergeKey: mergeKey ?? null,
    // Absent in objects queued before these fields were: sent whole.
    eventTime: eventTime ? Number(eventTime) : null,
    changesOnly: changesOnly ? JSON.parse(changesOnly) : null,
  };
}

/** An object as lib.lua's `put_object` reads it. */
export const encodeObject = (o: WorkObject): (string | number)[] => [
  o.endpoint,
  o.array,
  o.options === null ? '' : JSON.stringify(o.options),
  JSON.stringify(o.object),
  o.position,
  o.mergeKey ?? '',
  o.eventTime === null ? '' : o.eventTime,
  o.changesOnly === null ? '' : JSON.stringify(o.changesOnly),
];

/**
 * A batch as commit.lua reads it, flat: everything serialized here, so a value JSON cannot
 * hold fails before Redis is written. Flat arguments rather than one JSON text: Redis hands
 * them to the script as strings, where cjson would decode (and we escape) every payload —
 * about a fifth less of Redis's CPU per commit, the part of the expansion instances share.
 */
function encodeBatch(batch: MappedBatch): (string | number)[] {
  const args: (string | number)[] = [batch.messages.length, batch.refused.length, 0];
  for (const m of batch.messages) {
    const objects = workObjectsOf(m.requests, m.message);
    args.push(m.messageId, m.generatedId === true ? '1' : '', m.userKey, m.message === undefined ? '' : JSON.stringify(m.message), m.dropCode ?? 'NO_OBJECTS', objects.length);
    for (const o of objects) args.push(...encodeObject(o));
    (args[2] as number) += objects.length;
  }
  for (const r of batch.refused) args.push(r.messageId, r.userKey, r.index, r.payload === undefined ? '' : JSON.stringify(r.payload), `${r.code}: ${r.message}`.slice(0, 2000));
  return args;
}

/**
 * The work queue in Redis, for several instances on one Redis. Each multi-key step is one
 * Lua script (see lib.lua for the key layout), so it is atomic across instances. Times come
 * from the injected clock and travel into the scripts: instances' clocks must agree within
 * a small fraction of the lease TTL.
 */
export class RedisWorkQueue implements WorkQueue {
  readonly wakeUp: RedisWakeUp;
  /** For the dead letters beside it (redis-dead-letters.ts): the same scripts, on the same clock. */
  readonly runScript: RunScript;
  private closing: Promise<void> | null = null;
  /** Batches answered `behind`, encoded. */
  private readonly behind = new WeakMap<MappedBatch, (string | number)[]>();

  private constructor(
    readonly client: Redis,
    /** Subscribed to the wake-up; the Braze budget beside the queue listens on it too. */
    readonly subscriber: Redis,
    readonly prefix: string,
    readonly clock: () => number,
  ) {
    this.runScript = defineScripts(client, prefix);
    this.wakeUp = new RedisWakeUp(client, subscriber, `${prefix}wake`);
  }

  /** Connects (and subscribes to the wake-up) or fails with why: an unreachable Redis is an error at once, not a retry loop. */
  static async open(url: string, now: () => number, options: RedisQueueOptions = {}): Promise<RedisWorkQueue> {
    const [client, subscriber] = await Promise.allSettled([connectRedis(url, options), connectRedis(url, options, 'subscriber')]);
    if (client.status === 'rejected' || subscriber.status === 'rejected') {
      for (const c of [client, subscriber]) if (c.status === 'fulfilled') c.value.disconnect();
      throw client.status === 'rejected' ? client.reason : (subscriber as PromiseRejectedResult).reason;
    }
    const queue = new RedisWorkQueue(client.value, subscriber.value, options.prefix ?? DEFAULT_REDIS_PREFIX, now);
    try {
      await queue.wakeUp.start();
    } catch (error) {
      await queue.close();
      throw error;
    }
    return queue;
  }

  /**
   * With a position of the Redis inbox (RedisInboxSource), only in the entries' turn and while
   * they are still its reader's; any other position is a bug. A batch answered `behind` is
   * committed again by its expander: it is encoded once, and until its turn comes only the
   * turn is asked (a few entry ids, not the whole batch again).
   */
  async commit(batch: MappedBatch): Promise<CommitResult | Uncommitted> {
    if (batch.inboxPosition !== undefined && !isStreamPosition(batch.inboxPosition)) throw new Error('the Redis work queue commits positions of the Redis inbox only');
    const position = batch.inboxPosition === undefined ? '' : JSON.stringify(batch.inboxPosition);
    const waiting = this.behind.get(batch);
    if (waiting !== undefined) {
      const turn = (await this.runScript('turn', position)) as 'turn' | Uncommitted['uncommitted'];
      if (turn !== 'turn') return { uncommitted: turn };
    }
    const encoded = waiting ?? encodeBatch(batch);
    const reply = (await this.runScript('commit', this.clock(), DEDUP_WINDOW_MS, position, encoded)) as [number, number, number, string[]] | [Uncommitted['uncommitted']];
    if (reply.length === 1) {
      if (reply[0] === 'behind') this.behind.set(batch, encoded);
      return { uncommitted: reply[0] };
    }
    this.behind.delete(batch);
    const [accepted, duplicates, created, dropped] = reply;
    if (created > 0) this.wakeUp.notify();
    return { accepted, duplicates, dropped };
  }

  async lease(owner: string, { limit, perUser, oneRequestPerUser }: LeaseLimits, ttlMs: number): Promise<Lease> {
    const take = Math.min(limit, Number.MAX_SAFE_INTEGER);
    if (take < 1) return { ...NOTHING, owner };
    const reply = (await this.runScript('lease', this.clock(), take, Math.max(1, Math.min(perUser, take)), oneRequestPerUser ? '1' : '0', ttlMs, owner)) as [string, number, ...LeasedRow[]];
    const [id, expiresAt, ...rows] = reply;
    if (id === '') return { ...NOTHING, owner };
    return { id, owner, expiresAt: Number(expiresAt), items: rows.map(toItem) };
  }

  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    if (lease.id === NOTHING.id) return true;
    return (await this.runScript('extend', this.clock(), lease.id, lease.owner, ttlMs)) === 1;
  }

  async settle(lease: Lease, settlement: Settlement): Promise<SettleResult> {
    if (lease.id === NOTHING.id) return { settled: true };
    const encoded = JSON.stringify({
      a: settlement.ack ?? [],
      r: (settlement.retry ?? []).map((r) => [r.id, String(r.notBefore)]),
      h: (settlement.defer ?? []).map((r) => [r.id, String(r.notBefore)]),
      d: (settlement.deadLetter ?? []).map((d) => [d.id, d.reason.slice(0, 2000), d.status === null ? '' : String(d.status)]),
    });
    const settled = (await this.runScript('settle', this.clock(), lease.id, lease.owner, encoded)) === 1;
    return settled ? { settled: true } : { settled: false, reason: `lease ${lease.id} expired: its objects go back to the queue` };
  }

  async sweep(): Promise<number> {
    return (await this.runScript('sweep', this.clock())) as number;
  }

  async prune(): Promise<number> {
    return (await this.runScript('prune', this.clock() - DEDUP_WINDOW_MS)) as number;
  }

  async stats(): Promise<QueueStats> {
    const p = this.prefix;
    const [[, counts], [, oldest], [, deadLetters]] = (await this.client.multi().hmget(`${p}n`, 'objects', 'leased', 'inbox').zrange(`${p}heads`, 0, 0, 'WITHSCORES').zcard(`${p}dead`).exec())! as [
      [Error | null, (string | null)[]],
      [Error | null, string[]],
      [Error | null, number],
    ];
    const objects = Number(counts[0] ?? 0);
    const leased = Number(counts[1] ?? 0);
    const enqueuedAt = oldest.length === 0 ? null : await this.client.hget(`${p}o:${oldest[1]}`, 't');
    return {
      inboxMessages: Math.max(0, Number(counts[2] ?? 0)),
      pending: objects - leased,
      leased,
      oldestPendingAgeMs: enqueuedAt === null ? 0 : Math.max(0, this.clock() - Number(enqueuedAt)),
      deadLetters,
    };
  }

  async health(): Promise<StoreHealth> {
    if (this.client.status !== 'ready') return { up: false, error: `Redis connection ${this.client.status}` };
    try {
      await this.client.ping();
      return { up: true };
    } catch (error) {
      return { up: false, error: (error as Error).message };
    }
  }

  /** A second call finds it done. */
  close(): Promise<void> {
    return (this.closing ??= Promise.all([endRedis(this.subscriber), endRedis(this.client)]).then(() => undefined));
  }
}
