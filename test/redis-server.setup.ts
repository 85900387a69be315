// jest globalSetup: the Redis backend's tests need a redis-server. With REDIS_URL set (as
// .ci/run does) that one is used; otherwise a throwaway one is started on a free loopback
// port, AOF on, in a temporary directory, and stopped by redis-server.teardown.ts. Without
// Debian's redis-server installed nothing starts, and those tests fail saying so.
import { hasRedisServer, RedisServer, startRedisServer } from './helpers/redis-server';

declare global {
  var __SB_REDIS__: RedisServer | undefined;
}

export default async function setup(): Promise<void> {
  if (process.env.REDIS_URL || !hasRedisServer()) return;
  // everysec: the suite needs a real append-only file, not an fsync per write of every test.
  const server = await startRedisServer({ appendfsync: 'everysec' });
  globalThis.__SB_REDIS__ = server;
  process.env.REDIS_URL = server.url;
}
