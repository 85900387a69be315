import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { cli } from '../helpers/cli';
import { eventually } from '../helpers/delivery';
import Redis from 'ioredis';
import { dropKeys, freshPrefix, patternUnder, REDIS_URL } from '../helpers/redis';
import { boot, freshDir, RunningService, stop } from '../helpers/service-process';

jest.setTimeout(90_000);

const KEY = 'b7e0c1d2-4f3a-4e5b-9c8d-0123456789ab';

/** Resident and peak resident memory of a process, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Every file under `dir`, as bytes (the SQLite database, its WAL, the inbox segments). */
function everyFile(dir: string): Buffer[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? everyFile(join(dir, e.name)) : [readFileSync(join(dir, e.name))]));
}

/** Every value under `prefix`, as text, whatever its type. */
async function everyValue(client: Redis, prefix: string): Promise<string[]> {
  const keys = await client.keys(patternUnder(prefix));
  return Promise.all(
    keys.map(async (key) => {
      const type = await client.type(key);
      if (type === 'string') return (await client.get(key)) ?? '';
      if (type === 'hash') return JSON.stringify(await client.hgetall(key));
      if (type === 'list') return JSON.stringify(await client.lrange(key, 0, -1));
      if (type === 'set') return JSON.stringify(await client.smembers(key));
      if (type === 'zset') return JSON.stringify(await client.zrange(key, 0, -1));
      if (type === 'stream') return JSON.stringify(await client.xrange(key, '-', '+'));
      throw new Error(`a key of type ${type}: ${key}`);
    }),
  );
}

/** The real service process against a Braze whose answers are huge, or quote the key back. */
describe('the service process and a hostile Braze', () => {
  let sandbox: BrazeSandbox;
  let service: RunningService | undefined;
  afterEach(async () => {
    if (service) await stop(service.child);
    service = undefined;
    await sandbox?.close();
  });
  const env = (dataDir: string) => ({ LOG_LEVEL: 'info', DATA_DIR: dataDir, BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: KEY, DELIVERY_FLUSH_MS: '20', DELIVERY_RETRY_BASE_MS: '20' });
  const post = (batch: unknown[]) => fetch(`${service!.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) }).then((r) => expect(r.status).toBe(200));
  const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'track', userId: `u${from + i}`, event: 'E', messageId: `m${from + i}`, properties: { n: from + i } }));

  it('four 503s with 300 MB bodies: each read to 64 KiB and cut, memory stays bounded, delivery goes on', async () => {
    sandbox = await startBrazeSandbox({ apiKey: KEY });
    service = await boot(env(freshDir('sb-oversize-')));
    await post(events(0, 10));
    await eventually(() => sandbox.received.length === 10, 'the warm-up objects', 30_000);
    const before = memoryOf(service.child.pid!);
    const bodyBytes = 300 * 1024 * 1024;
    sandbox.inject({ kind: 'oversize', bytes: bodyBytes, count: 4 });
    await post(events(10, 100));
    await eventually(() => sandbox.received.length === 110, 'every object after the oversize answers', 60_000);
    const after = memoryOf(service.child.pid!);
    const oversized = sandbox.requests.filter((r) => r.bodyBytes !== undefined);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    process.stdout.write(`oversize test: RSS ${mb(before.rss)} → ${mb(after.rss)} MB, peak ${mb(before.peak)} → ${mb(after.peak)} MB; bytes Braze sent per answer: ${oversized.map((r) => mb(r.bodyBytes!)).join(', ')} MB\n`);
    expect(oversized).toHaveLength(4);
    // The connection was cut: Braze got to send what the socket buffers hold, not the body.
    for (const r of oversized) expect(r.bodyBytes).toBeLessThan(32 * 1024 * 1024);
    // 1.2 GB offered in all; the process grew by far less than one body.
    expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(after.peak - before.peak).toBeLessThan(64 * 1024 * 1024);
    expect(service.output()).toMatch(/body cut at 65536 bytes/);
  });

  it('an error page quoting the Authorization header: the key is in no log line, no stored byte, no dead-letters show', async () => {
    sandbox = await startBrazeSandbox({ apiKey: KEY });
    const dataDir = freshDir('sb-echo-');
    // A 503 quoting the key (retried: a log line), then a 404 quoting it (a dead letter with its reason).
    sandbox.inject({ kind: 'echo-authorization', status: 503, count: 1 });
    sandbox.inject({ kind: 'echo-authorization', status: 404, count: 1 });
    service = await boot(env(dataDir));
    await post(events(0, 1));
    await eventually(() => /dead-letter|refused/.test(service!.output()) && sandbox.requests.length === 2, 'the request to be dead-lettered', 30_000);
    await stop(service.child);
    const output = service.output();
    service = undefined;
    expect(output).toMatch(/authorization: \[redacted\]/i); // the pages were logged, scrubbed
    expect(output).not.toContain(KEY);
    const show = await cli(['dead-letters', 'show', '1', '--data-dir', dataDir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/HTTP 404.*\[redacted\]/);
    expect(show.stdout).not.toContain(KEY);
    for (const file of everyFile(dataDir)) expect(file.includes(KEY)).toBe(false);
  });

  it('with QUEUE=redis: the dead letter and the pause reason kept in Redis hold no trace of the key', async () => {
    sandbox = await startBrazeSandbox({ apiKey: KEY });
    const prefix = freshPrefix();
    const client = new Redis(REDIS_URL);
    try {
      sandbox.inject({ kind: 'echo-authorization', status: 404, count: 1 }); // a dead letter
      sandbox.inject({ kind: 'echo-authorization', status: 401, count: -1 }); // then a pause, kept in Redis
      service = await boot({ ...env(freshDir('sb-echo-redis-')), QUEUE: 'redis', REDIS_URL, REDIS_PREFIX: prefix, DELIVERY_PAUSE_PROBE_MS: '60000' });
      await post(events(0, 1));
      await eventually(() => sandbox.requests.length === 1 && /refused/.test(service!.output()), 'the dead letter', 30_000);
      await post(events(1, 1));
      await eventually(() => /delivery to \S+ PAUSED/.test(service!.output()), 'the pause', 30_000);
      const values = await everyValue(client, prefix);
      expect(values.join('\n')).toMatch(/HTTP 404.*\[redacted\]/s);
      expect(values.join('\n')).toMatch(/HTTP 401.*\[redacted\]/s);
      for (const value of values) expect(value).not.toContain(KEY);
      expect(service.output()).not.toContain(KEY);
    } finally {
      client.disconnect();
      await dropKeys(prefix);
    }
  });
});
