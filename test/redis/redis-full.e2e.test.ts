import Redis from 'ioredis';
import { boot, kill9, RunningService } from '../helpers/service-process';
import { RedisServer, startRedisServer } from '../helpers/redis-server';

jest.setTimeout(60_000);

const PAD = 'x'.repeat(900);

describe('a Redis at its maxmemory (noeviction)', () => {
  let server: RedisServer;
  let service: RunningService | undefined;
  afterAll(async () => {
    if (service) await kill9(service.child);
    await server?.stop();
  });

  it('refuses new requests with 503 QUEUE_FULL, not a 500 nor a silent drop', async () => {
    // A redis-server of this test's own: its maxmemory must not touch the suite's shared one.
    server = await startRedisServer();
    service = await boot({ LOG_LEVEL: 'info', QUEUE: 'redis', REDIS_URL: server.url });
    const admin = new Redis(server.url);
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', String(used + 2 * 1024 * 1024));
    let refused: { status: number; body: { error?: { code?: string } } } | null = null;
    for (let b = 0; b < 400 && refused === null; b++) {
      const batch = Array.from({ length: 50 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'Full', messageId: `m-${b}-${i}`, properties: { pad: PAD } }));
      const res = await fetch(`${service.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
      if (res.status !== 200) refused = { status: res.status, body: (await res.json()) as { error?: { code?: string } } };
    }
    admin.disconnect();
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'QUEUE_FULL' } } });
  });
});
