import { connectRedis, durabilityWarnings, endRedis, redactedUrl } from '../../src/queue/redis/redis-connection';
import { freePort, RedisServer, startRedisServer } from '../helpers/redis-server';

describe('connections to Redis', () => {
  it.each([
    [{ appendonly: 'no' as const }, /without the append-only file \(appendonly no\)/],
    [{ appendfsync: 'no' as const }, /appendfsync no: .* unbounded window/],
    [{ appendfsync: 'everysec' as const }, /everysec: .* about the last second/],
  ])('warn at boot when Redis runs with %j', async (settings, warning) => {
    const server = await startRedisServer(settings);
    const client = await connectRedis(server.url);
    try {
      expect(await durabilityWarnings(client)).toEqual([expect.stringMatching(warning)]);
    } finally {
      await endRedis(client);
      await server.stop();
    }
  });

  it('say nothing with appendonly yes, appendfsync always and no eviction, and warn of an eviction policy', async () => {
    const server = await startRedisServer({ appendfsync: 'always' });
    const client = await connectRedis(server.url);
    try {
      expect(await durabilityWarnings(client)).toEqual([]);
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await durabilityWarnings(client)).toEqual([expect.stringMatching(/maxmemory-policy allkeys-lru: .* Set maxmemory-policy noeviction/)]);
    } finally {
      await endRedis(client);
      await server.stop();
    }
  });

  it('fail a command at once while Redis is away, instead of queueing it, and come back by themselves', async () => {
    const server: RedisServer = await startRedisServer();
    const client = await connectRedis(server.url);
    try {
      await client.set('k', 'v');
      await server.kill();
      await expect(client.get('k')).rejects.toThrow();
      await server.restart();
      // It reconnects on its own; poll until it has (no fixed wait).
      const deadline = Date.now() + 20_000;
      while (client.status !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await client.get('k')).toBe('v'); // read back from the append-only file
    } finally {
      await endRedis(client);
      await server.stop();
    }
  });

  it('name an unreachable Redis without its password', async () => {
    const port = await freePort();
    const opened = connectRedis(`redis://:hunter2@127.0.0.1:${port}`, { connectTimeoutMs: 2000 });
    await expect(opened).rejects.toThrow(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? is not reachable: .*ECONNREFUSED/);
    await expect(opened).rejects.not.toThrow(/hunter2/);
    expect(redactedUrl('not a url')).toBe('(an unparsable REDIS_URL)');
  });
});
