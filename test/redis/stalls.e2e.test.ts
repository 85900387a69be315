import Redis from 'ioredis';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { dropKeys, freshPrefix, REDIS_URL } from '../helpers/redis';
import { boot, freshDir, RunningService, stop } from '../helpers/service-process';

jest.setTimeout(60_000);

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};
const sample = (metrics: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);

/** The service in its own process on Redis: an expansion that fails every transaction shows, and clears. */
describe('a stalled expansion with QUEUE=redis, in the service process', () => {
  let sandbox: BrazeSandbox;
  let service: RunningService;
  let redis: Redis;
  const prefix = freshPrefix();
  afterAll(async () => {
    if (service) await stop(service.child);
    redis?.disconnect();
    await sandbox?.close();
    await dropKeys(prefix);
  });

  it('the store refusing its commits: /health/delivery and loop_stalled say so, readiness stays up, one log line each way', async () => {
    sandbox = await startBrazeSandbox();
    service = await boot({ LOG_LEVEL: 'info', QUEUE: 'redis', REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: freshDir('sb-stall-'), BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'sandbox-key', DELIVERY_FLUSH_MS: '20', STALL_AFTER_MS: '1000' });
    redis = new Redis(REDIS_URL);
    // The deduplication set turned into a string: every commit of the expansion fails (WRONGTYPE), nothing else does.
    await redis.set(`${prefix}dedup`, 'not a sorted set');
    const accepted = await fetch(`${service.url}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'u', event: 'E', messageId: 'm1' }) });
    expect(accepted.status).toBe(200);
    // On a loaded machine the first failure may come after STALL_AFTER_MS ("no progress" until then): wait for the error to be named.
    await eventually(async () => /failing for/.test(JSON.parse((await get(`${service.url}/health/delivery`)).text).error?.expansion?.reason ?? ''), 'the stall to show with its error', 20_000);
    const health = JSON.parse((await get(`${service.url}/health/delivery`)).text);
    expect(health.error.expansion).toMatchObject({ stalled: true, reason: expect.stringMatching(/^failing for \d+ s: .*WRONGTYPE/) });
    expect(sample((await get(`${service.url}/metrics`)).text, 'segment_braze_loop_stalled{loop="expansion"}')).toBe(1);
    expect((await get(`${service.url}/health/ready`)).status).toBe(200);

    await redis.del(`${prefix}dedup`);
    await eventually(() => sandbox.received.length === 1, 'the event delivered', 20_000);
    await eventually(async () => (await get(`${service.url}/health/delivery`)).status === 200, 'the recovery', 20_000);
    expect(sample((await get(`${service.url}/metrics`)).text, 'segment_braze_loop_stalled{loop="expansion"}')).toBe(0);
    expect(service.output().match(/inbox expansion STALLED/g)).toHaveLength(1);
    expect(service.output().match(/inbox expansion makes progress again/g)).toHaveLength(1);
  });
});
