import { MergeMemory } from '../ports/merge-memory.port';
import { RedisWorkQueue } from './redis-work-queue';

/**
 * How many merged pairs are remembered, the most recently merged. Merging a pair twice only
 * burns the endpoint's lower limit (merge-memory.port.ts), so a forgotten pair costs one
 * identify object sent again: the memory is bounded rather than kept for good as on disk,
 * where it costs no memory. A pair takes about 180 bytes of Redis (a 64-byte key):
 * 100,000 pairs, some 18 MB.
 */
export const MERGES_REMEMBERED = 100_000;

/** The /users/identify pairs merged, shared by every instance on the Redis: a sorted set of merge keys by when. */
export class RedisMergeMemory implements MergeMemory {
  private readonly key: string;

  constructor(
    private readonly queue: RedisWorkQueue,
    private readonly remembered = MERGES_REMEMBERED,
  ) {
    this.key = `${queue.prefix}merged`;
  }

  /** One round trip for the whole round. */
  async merged(keys: readonly string[]): Promise<ReadonlySet<string>> {
    if (keys.length === 0) return new Set();
    const scores = await this.queue.client.zmscore(this.key, ...keys);
    return new Set(keys.filter((_, i) => scores[i] !== null));
  }

  /** Adds the keys and forgets the oldest past the bound, in one transaction. */
  async remember(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const now = this.queue.clock();
    const replies = await this.queue.client
      .multi()
      .zadd(this.key, ...keys.flatMap((k) => [now, k]))
      .zremrangebyrank(this.key, 0, -this.remembered - 1)
      .exec();
    for (const [error] of replies ?? []) if (error) throw error;
  }
}
