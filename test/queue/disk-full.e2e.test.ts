import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually, scrape } from '../helpers/delivery';
import { boot, kill9, RunningService, stop } from '../helpers/service-process';
import { mountSmallDisk, SmallDisk } from '../helpers/tmpfs';

jest.setTimeout(240_000);

const MB = 1024 * 1024;
const BATCH = 50;
const PAD = 'x'.repeat(700);

interface Ingested {
  acked: string[];
  /** The answer that refused a batch, once the disk was full. */
  refusal: { status: number; body: { error?: { code?: string } } } | null;
}

/** Sends batches of ~1 KB messages until one is refused; answers what was acknowledged and the refusal. */
async function ingestUntilRefused(url: string, next: () => number, maxBatches = 2000): Promise<Ingested> {
  const acked: string[] = [];
  for (let b = 0; b < maxBatches; b++) {
    const ids = Array.from({ length: BATCH }, () => `m-${next()}`);
    const batch = ids.map((id, i) => ({ type: 'track', userId: `user-${i % 40}`, event: 'Disk Test', messageId: id, properties: { mid: id, pad: PAD } }));
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    const body = (await res.json()) as Ingested['refusal'] extends infer R ? (R extends { body: infer B } ? B : never) : never;
    if (res.status !== 200) return { acked, refusal: { status: res.status, body } };
    acked.push(...ids);
  }
  return { acked, refusal: null };
}

/** Writes a file until the volume has no block left. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** The log lines at warn and above (pino levels 40+), for a failure's message. */
const warnings = (output: string) => output.split('\n').filter((line) => /"level":[4-6]\d/.test(line) || !line.startsWith('{')).slice(-40).join('\n');

async function readiness(url: string): Promise<{ status: number; queue: { status: string; error?: string } }> {
  const res = await fetch(`${url}/health/ready`);
  const body = (await res.json()) as { details?: Record<string, { status: string; error?: string }> };
  return { status: res.status, queue: body.details?.queue ?? { status: 'missing' } };
}

describe('a full DATA_DIR', () => {
  let disk: SmallDisk;
  let sandbox: BrazeSandbox;
  let service: RunningService | undefined;
  afterAll(async () => {
    if (service) await kill9(service.child);
    await sandbox?.close();
    disk?.unmount();
  });

  it('refuses new requests with DISK_FULL, says so in readiness, delivers everything acknowledged and gives the space back; a kill -9 on the full disk restarts and delivers', async () => {
    disk = mountSmallDisk(40);
    sandbox = await startBrazeSandbox({ apiKey: 'not-yet' }); // Braze refuses the key: delivery pauses and the queue fills the disk
    const env = {
      LOG_LEVEL: 'info',
      DATA_DIR: join(disk.dir, 'data'),
      BRAZE_REST_ENDPOINT: sandbox.url,
      BRAZE_API_KEY: 'sandbox-key',
      DELIVERY_FLUSH_MS: '20',
      DELIVERY_PAUSE_PROBE_MS: '200',
      DATA_DIR_MIN_FREE_MB: '6',
      DATA_DIR_RESERVE_MB: '4',
    };
    let n = 0;
    const next = () => n++;
    const delivered = () => new Set(sandbox.received.map((r) => (r.object.properties as { mid: string }).mid));
    /** Polled: one set per poll (a set per id would starve the sandbox's own loop). */
    const allDelivered = (ids: string[]) => async () => {
      const got = delivered();
      const done = ids.every((id) => got.has(id));
      if (!done) await new Promise((r) => setTimeout(r, 200));
      return done;
    };
    const freeAtStart = disk.freeBytes();

    // 1. Braze down: ingest until the service refuses.
    service = await boot(env);
    const first = await ingestUntilRefused(service.url, next);
    const freeWhenFull = disk.freeBytes();
    const ready = await readiness(service.url);
    process.stdout.write(`disk full: ${first.acked.length} acknowledged, refused with ${first.refusal?.status} ${first.refusal?.body.error?.code}; ${(freeWhenFull / MB).toFixed(1)} MB free of ${(freeAtStart / MB).toFixed(1)}; readiness ${ready.status} ${JSON.stringify(ready.queue)}\n`);

    // 2. Braze back: everything acknowledged is delivered from the full disk.
    sandbox.apiKey = 'sandbox-key';
    const started = Date.now();
    try {
      await eventually(allDelivered(first.acked), 'every acknowledged message in Braze', 60_000);
    } finally {
      const now = delivered();
      const got = first.acked.filter((id) => now.has(id)).length;
      process.stdout.write(`delivered from the full disk: ${got} of ${first.acked.length} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (got < first.acked.length) {
        const gauges = await Promise.all(['inbox_messages', 'queue_depth', 'delivery_paused'].map(async (g) => `${g} ${await scrape(service!.url, `segment_braze_${g}`)}`));
        process.stdout.write(`${gauges.join(', ')}; the service's warnings and errors:\n${warnings(service!.output())}\n`);
      }
    }
    expect(first.refusal).toMatchObject({ status: 503, body: { error: { code: 'DISK_FULL' } } });
    expect(ready.status).toBe(503);
    expect(ready.queue.status).toBe('down');
    expect(ready.queue.error).toMatch(/disk full/i);
    expect(first.acked.length).toBeGreaterThan(1000);

    // 3. After the drain: readiness recovers and the volume has its space back.
    await eventually(async () => (await readiness(service!.url)).queue.status === 'up', 'readiness to say the queue accepts again', 30_000);
    await eventually(() => disk.freeBytes() > freeAtStart * 0.4, 'the space of the delivered work to come back', 30_000).finally(() =>
      process.stdout.write(`after the drain: ${(disk.freeBytes() / MB).toFixed(1)} MB free of ${(freeAtStart / MB).toFixed(1)}\n`),
    );

    // 4. Full again (Braze refuses the key from the first request on), then kill -9: the restart on the full disk starts and delivers.
    sandbox.apiKey = 'not-yet';
    const second = await ingestUntilRefused(service.url, next);
    expect(second.refusal).toMatchObject({ status: 503, body: { error: { code: 'DISK_FULL' } } });
    // What the refusal left free is taken by another writer on the volume: the disk is full to the last block.
    fillUp(join(disk.dir, 'filler'));
    expect(disk.freeBytes()).toBe(0);
    await kill9(service.child);
    service = await boot(env);
    sandbox.apiKey = 'sandbox-key';
    await eventually(allDelivered(second.acked), 'every message acknowledged before the kill in Braze', 60_000);
    process.stdout.write(`after kill -9 on the full disk: restarted, ${second.acked.length} of ${second.acked.length} delivered\n`);
    await stop(service.child);
    service = undefined;
  });
});
