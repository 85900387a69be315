import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { RedisServer, startRedisServer } from '../helpers/redis-server';
import { boot, freshDir, RunningService, stop } from '../helpers/service-process';

jest.setTimeout(120_000);

/** Posts one batch of `count` track events; answers the HTTP status (0 when the connection failed). */
async function post(url: string, ids: string[]): Promise<number> {
  const batch = ids.map((mid) => ({ type: 'track', userId: `user-${Number(mid.slice(1)) % 11}`, event: 'Step', messageId: mid, properties: { mid } }));
  try {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    return res.status;
  } catch {
    return 0;
  }
}

describe('kill -9 of redis-server during traffic, and a restart on its append-only file', () => {
  let redis: RedisServer;
  let sandbox: BrazeSandbox;
  let service: RunningService;
  afterAll(async () => {
    if (service) await stop(service.child);
    await sandbox?.close();
    await redis?.stop();
  });

  it('loses nothing acknowledged; while it is down ingestion answers 503 and readiness says why; the service recovers by itself', async () => {
    redis = await startRedisServer({ appendonly: 'yes', appendfsync: 'always' });
    sandbox = await startBrazeSandbox();
    service = await boot({
      LOG_LEVEL: 'info',
      QUEUE: 'redis',
      REDIS_URL: redis.url,
      DATA_DIR: freshDir('sb-redis-crash-'),
      BRAZE_REST_ENDPOINT: sandbox.url,
      BRAZE_API_KEY: 'sandbox-key',
      DELIVERY_FLUSH_MS: '20',
      DELIVERY_RETRY_BASE_MS: '50',
    });
    const acked: string[] = [];
    const statuses = new Map<number, number>();
    let n = 0;
    const nextIds = () => Array.from({ length: 20 }, () => `m${n++}`);
    let sending = true;
    // Four clients sending back to back for the whole test, as SDKs would.
    const clients = Array.from({ length: 4 }, async () => {
      while (sending) {
        const ids = nextIds();
        const status = await post(service.url, ids);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) acked.push(...ids);
      }
    });

    await eventually(() => acked.length >= 1000, '1,000 messages acknowledged');
    await redis.kill('SIGKILL');
    const ackedAtKill = acked.length;

    // While Redis is down: every answer is a 503, none a 200; readiness is down and says why.
    const down = await Promise.all(Array.from({ length: 5 }, () => post(service.url, nextIds())));
    expect(down).toEqual([503, 503, 503, 503, 503]);
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toMatch(/queue/);
    // Requests the clients sent after the kill and were answered 200 would be a lie: none may be.
    const ackedWhileDown = acked.length - ackedAtKill;

    await redis.restart();
    await eventually(async () => (await fetch(`${service.url}/health/ready`)).status === 200, 'readiness back once Redis is', 30_000);
    const ackedBefore = acked.length;
    await eventually(() => acked.length >= ackedBefore + 1000, '1,000 more messages acknowledged after the restart', 30_000);
    sending = false;
    await Promise.all(clients);

    const delivered = () => new Set(sandbox.received.map((r) => (r.object.properties as { mid: string }).mid));
    await eventually(() => acked.every((id) => delivered().has(id)), 'every acknowledged message in Braze', 60_000);
    process.stdout.write(`redis kill -9: ${acked.length} acknowledged (${ackedAtKill} before the kill), answers ${JSON.stringify(Object.fromEntries(statuses))}, ${delivered().size} delivered\n`);
    // In-flight requests at the kill may have been answered 200 only if Redis had stored them before dying.
    expect(ackedWhileDown).toBeLessThanOrEqual(4 * 20);
    expect(statuses.get(503)).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    // The outage is a few log lines, not a line per attempt; and the recovery is said.
    const failedLines = service.output().match(/delivery round failed/g)?.length ?? 0;
    expect(failedLines).toBeLessThanOrEqual(5);
    if (failedLines > 0) expect(service.output()).toMatch(/delivery rounds work again/);
    const expansionLines = service.output().match(/inbox expansion failed/g)?.length ?? 0;
    expect(expansionLines).toBeLessThanOrEqual(5);
    if (expansionLines > 0) expect(service.output()).toMatch(/inbox expansion works again/);
  });
});
