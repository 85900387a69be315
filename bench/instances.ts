import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startBrazeSandbox } from '../src/sandbox/braze-sandbox';
import { loadBatches } from './ingest-load';
import { startService } from './service';

/**
 * Several instances: ingestion of one instance on Redis against the embedded store, and the
 * drain (the inbox made into work) of one and of two instances on one Redis, with Redis
 * memory per queued object. Braze refuses the key throughout, so only ingestion and
 * expansion run. Section 6 of `npm run bench`; alone: node dist-bench/bench/instances.js [SECONDS]
 */
const SECONDS = Number(process.argv[2] ?? 10);

async function startRedis(): Promise<{ url: string; client: Redis; stop(): Promise<void> }> {
  const port = 6400 + Math.floor(Math.random() * 500);
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  const client = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: (n) => (n > 100 ? null : 50) });
  client.on('error', () => undefined); // refused until redis-server listens: the ping below waits for it
  await client.ping();
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: async () => {
      client.disconnect();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Stats = { inboxMessages: number; pending: number };
type Load = Awaited<ReturnType<typeof loadBatches>>;
/** `cpuBusy`: the machine's cores busy during the drain, 0–1 (all processes: what limits the drain when near 1). */
type Drained = { messages: number; messagesPerSecond: number; cpuBusy: number };
async function stats(url: string): Promise<Stats> {
  const health = (await (await fetch(`${url}/health/ready`)).json()) as { details?: { queue?: Stats }; error?: { queue?: Stats } };
  return (health.details?.queue ?? health.error?.queue)!;
}

/** The machine's CPU time so far (Linux /proc/stat, in ticks): busy, and in all. */
function cpuTicks(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const idle = ticks[3] + ticks[4]; // idle, iowait
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Until the shared inbox is empty: how fast the instances made it into work, and how busy the cores were. */
async function drain(url: string): Promise<Drained> {
  const started = Date.now();
  const before = cpuTicks();
  const { inboxMessages } = await stats(url);
  while ((await stats(url)).inboxMessages > 0) await new Promise((r) => setTimeout(r, 200));
  const after = cpuTicks();
  const cpuBusy = Number(((after.busy - before.busy) / (after.total - before.total)).toFixed(2));
  return { messages: inboxMessages, messagesPerSecond: Math.round(inboxMessages / ((Date.now() - started) / 1000)), cpuBusy };
}

export interface InstancesResult {
  readonly embedded: { ingestion: Load; drain: Drained };
  readonly redis: readonly { instances: number; ingestion: Load; drain: Drained; objectsQueued: number; redisBytesPerQueuedObject: number }[];
  /** One instance on Redis against the embedded store (target ≥ 0.5×). */
  readonly ingestionRatio: number;
  /** Two instances' drain against one's (target ≥ 1.5×). */
  readonly drainRatio: number;
}

/** The embedded store, then one and two instances on a fresh Redis each, in one run so the ratios compare like with like. */
export async function measureInstances(seconds: number): Promise<InstancesResult> {
  const sandbox = await startBrazeSandbox({ apiKey: 'other' });
  const braze = { BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'bench' };

  const embedded = await startService(braze);
  await loadBatches(embedded.url, 2, 10);
  const embeddedLoad = await loadBatches(embedded.url, seconds, 10);
  const embeddedDrain = await drain(embedded.url);
  await embedded.stop();

  const redisRows: InstancesResult['redis'][number][] = [];
  for (const instances of [1, 2]) {
    const redis = await startRedis();
    const before = Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))![1]);
    const services = await Promise.all(Array.from({ length: instances }, () => startService({ ...braze, QUEUE: 'redis', REDIS_URL: redis.url })));
    // Ingestion through one instance; the others only expand, as they would behind a balancer idle for them.
    await loadBatches(services[0].url, 2, 10);
    const load = await loadBatches(services[0].url, seconds, 10);
    const drained = await drain(services[0].url);
    const { pending } = await stats(services[0].url);
    const after = Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))![1]);
    redisRows.push({ instances, ingestion: load, drain: drained, objectsQueued: pending, redisBytesPerQueuedObject: Math.round((after - before) / pending) });
    for (const s of services) await s.stop();
    await redis.stop();
  }
  await sandbox.close();
  const [one, two] = redisRows;
  return {
    embedded: { ingestion: embeddedLoad, drain: embeddedDrain },
    redis: redisRows,
    ingestionRatio: Number((one.ingestion.messagesPerSecond / embeddedLoad.messagesPerSecond).toFixed(2)),
    drainRatio: Number((two.drain.messagesPerSecond / one.drain.messagesPerSecond).toFixed(2)),
  };
}

if (require.main === module) {
  measureInstances(Number(process.argv[2] ?? 10)).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
