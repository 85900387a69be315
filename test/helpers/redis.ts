import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';

/** The Redis the tests run against: `.ci/run` starts a throwaway one there. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';

/** A key prefix of its own per test (hash-tagged, as in production), so tests in parallel workers never meet. */
export const freshPrefix = () => `sb-test:{${randomUUID()}}:`;

/** Opens the adapter or fails the test saying how to get a Redis: these tests never skip. */
export async function openRedisQueue(now: () => number, prefix = freshPrefix()): Promise<RedisWorkQueue> {
  try {
    return await RedisWorkQueue.open(REDIS_URL, now, { prefix, connectTimeoutMs: 3000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}. The Redis tests need a redis-server: start one with \`redis-server --port 6390\` or set REDIS_URL (.ci/run starts one).`);
  }
}

/** A SCAN/KEYS pattern for every key under `prefix` (its braces and other glob characters taken literally). */
export const patternUnder = (prefix: string) => `${prefix.replace(/[{}*?[\]\\]/g, '\\$&')}*`;

/** Deletes every key under `prefix`, so the test Redis does not fill up. */
export async function dropKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', patternUnder(prefix), 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
