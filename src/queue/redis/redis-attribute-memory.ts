import { AcceptedAttributes, AttributeMemory, RememberedAttribute } from '../ports/attribute-memory.port';
import { RedisWorkQueue } from './redis-work-queue';

/** A SCAN pattern for every key under `prefix`, its braces and other glob characters taken literally. */
const literal = (prefix: string) => prefix.replace(/[{}*?[\]\\]/g, '\\$&');

/**
 * What Braze accepted of each user's attributes, shared by every instance on the Redis: one
 * hash per user (`<prefix>attrs:<user>`, under the prefix's hash tag, so Redis Cluster keeps
 * them on the queue's slot and one node answers the SCANs below). A field holds
 * `fingerprint eventTime writtenAt`; the key expires `ttlMs` after its last write, and a
 * field older than that is recalled as absent (a user whose other attributes keep changing
 * keeps the key alive, not the stale field).
 */
export class RedisAttributeMemory implements AttributeMemory {
  private readonly key: (user: string) => string;

  constructor(
    private readonly queue: RedisWorkQueue,
    private readonly ttlMs: number,
  ) {
    this.key = (user) => `${queue.prefix}attrs:${user}`;
  }

  /** One round trip (a pipeline of HGETALLs) for the round's users. */
  async recall(users: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>>> {
    const out = new Map<string, Map<string, RememberedAttribute>>();
    if (users.length === 0) return out;
    const pipeline = this.queue.client.pipeline();
    for (const user of users) pipeline.hgetall(this.key(user));
    const replies = (await pipeline.exec()) ?? [];
    const oldest = this.queue.clock() - this.ttlMs;
    users.forEach((user, i) => {
      const [error, fields] = replies[i] ?? [null, {}];
      if (error) throw error;
      const entries = new Map<string, RememberedAttribute>();
      for (const [name, value] of Object.entries(fields as Record<string, string>)) {
        const [fingerprint, eventTime, writtenAt] = value.split(' ');
        if (!(Number(writtenAt) > oldest)) continue;
        entries.set(name, { fingerprint, eventTime: eventTime === '-' ? null : Number(eventTime) });
      }
      if (entries.size > 0) out.set(user, entries);
    });
    return out;
  }

  /** One script call for the round: the later-event-time rule is applied in Redis, atomically across instances. */
  async remember(accepted: readonly AcceptedAttributes[]): Promise<void> {
    const args: (string | number)[] = [];
    for (const { user, attributes } of accepted) {
      if (attributes.size === 0) continue;
      args.push(user, attributes.size);
      for (const [name, { fingerprint, eventTime }] of attributes) args.push(name, fingerprint, eventTime === null ? '-' : eventTime);
    }
    if (args.length === 0) return;
    await this.queue.runScript('remember-attributes', this.queue.clock(), this.ttlMs, args);
  }

  async forget(users: readonly string[]): Promise<void> {
    if (users.length > 0) await this.queue.client.unlink(...users.map(this.key));
  }

  async forgetAll(): Promise<number> {
    let forgotten = 0;
    await this.eachKeyBatch(async (keys) => {
      forgotten += await this.queue.client.unlink(...keys);
    });
    return forgotten;
  }

  async users(): Promise<number> {
    let n = 0;
    await this.eachKeyBatch(async (keys) => void (n += keys.length));
    return n;
  }

  private async eachKeyBatch(use: (keys: string[]) => Promise<void>): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.queue.client.scan(cursor, 'MATCH', `${literal(this.queue.prefix)}attrs:*`, 'COUNT', 1000);
      if (keys.length > 0) await use(keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
