import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startBrazeSandbox } from '../src/sandbox/braze-sandbox';
import { loadBatches } from './ingest-load';
import { startService } from './service';

/**
 * Several instances (issue 14): ingestion of one instance on Redis against the embedded
 * store, and the drain of one and of two instances on one Redis, with Redis memory per
 * queued message. Braze refuses the key throughout, so only ingestion and expansion run.
 * node dist-bench/bench/instances.js [SECONDS]
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
async function stats(url: string): Promise<Stats> {
  const health = (await (await fetch(`${url}/health/ready`)).json()) as { details?: { queue?: Stats }; error?: { queue?: Stats } };
  return (health.details?.queue ?? health.error?.queue)!;
}

/** Until the shared inbox is empty: how fast the instances made it into work. */
async function drain(url: string): Promise<{ messages: number; messagesPerSecond: number }> {
  const started = Date.now();
  const { inboxMessages } = await stats(url);
  while ((await stats(url)).inboxMessages > 0) await new Promise((r) => setTimeout(r, 200));
  return { messages: inboxMessages, messagesPerSecond: Math.round(inboxMessages / ((Date.now() - started) / 1000)) };
}

async function main(): Promise<void> {
  const sandbox = await startBrazeSandbox({ apiKey: 'other' });
  const braze = { BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'bench' };

  const embedded = await startService(braze);
  await loadBatches(embedded.url, 2, 10);
  const embeddedLoad = await loadBatches(embedded.url, SECONDS, 10);
  const embeddedDrain = await drain(embedded.url);
  await embedded.stop();

  const rows: Record<string, unknown> = { embedded: { ingestion: embeddedLoad, drain: embeddedDrain } };
  for (const instances of [1, 2]) {
    const redis = await startRedis();
    const before = Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))![1]);
    const services = await Promise.all(Array.from({ length: instances }, () => startService({ ...braze, QUEUE: 'redis', REDIS_URL: redis.url })));
    // Ingestion through one instance; the others only expand, as they would behind a balancer idle for them.
    await loadBatches(services[0].url, 2, 10);
    const load = await loadBatches(services[0].url, SECONDS, 10);
    const drained = await drain(services[0].url);
    const { pending } = await stats(services[0].url);
    const after = Number(/used_memory:(\d+)/.exec(await redis.client.info('memory'))![1]);
    rows[`redis × ${instances}`] = { ingestion: load, drain: drained, objectsQueued: pending, redisBytesPerQueuedObject: Math.round((after - before) / pending) };
    for (const s of services) await s.stop();
    await redis.stop();
  }
  await sandbox.close();
  console.log(JSON.stringify(rows, null, 2));
  const one = rows['redis × 1'] as { ingestion: { messagesPerSecond: number }; drain: { messagesPerSecond: number } };
  const two = rows['redis × 2'] as { drain: { messagesPerSecond: number } };
  console.log(`ingestion, one instance on Redis: ${(one.ingestion.messagesPerSecond / embeddedLoad.messagesPerSecond).toFixed(2)}× the embedded store (target ≥ 0.5×)`);
  console.log(`drain, two instances: ${(two.drain.messagesPerSecond / one.drain.messagesPerSecond).toFixed(2)}× one instance (target ≥ 1.5×)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
