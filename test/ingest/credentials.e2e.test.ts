import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { dropKeys, freshPrefix, REDIS_URL } from '../helpers/redis';
import { boot, freshDir, RunningService, stop } from '../helpers/service-process';

jest.setTimeout(90_000);

/** Every file below `dir`, SQLite's -wal and -shm included. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every command the test Redis runs while `during` does, with its arguments: whatever reaches Redis goes through here. */
async function redisCommandsDuring(during: () => Promise<void>): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  const monitor = await client.monitor();
  const commands: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
  try {
    await during();
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return commands;
}

const ADMIN = 'admin-token-for-the-test';

describe.each([
  ['sqlite', 'Braze'],
  ['redis', 'Braze'],
  ['sqlite', 'dry-run'],
  ['redis', 'dry-run'],
] as const)('a write key sent in the body (QUEUE=%s, to %s)', (queue, to) => {
  let sandbox: BrazeSandbox;
  let service: RunningService | undefined;
  const prefix = freshPrefix();
  afterAll(async () => {
    if (service) await stop(service.child);
    await sandbox?.close();
    if (queue === 'redis') await dropKeys(prefix);
  });

  it('is checked, then stored nowhere: not in the inbox, the dead letters, the dry-run requests or the rejection log; the messages are delivered', async () => {
    sandbox = await startBrazeSandbox();
    const writeKey = `wk-${randomUUID()}`;
    const dataDir = freshDir('sb-credentials-');
    service = await boot({
      DATA_DIR: dataDir,
      SEGMENT_WRITE_KEYS: writeKey,
      ADMIN_TOKEN: ADMIN,
      ...(to === 'Braze' ? { BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'sandbox-key' } : {}),
      DELIVERY_FLUSH_MS: '20',
      ...(queue === 'redis' ? { QUEUE: 'redis', REDIS_URL, REDIS_PREFIX: prefix } : {}),
    });
    const url = service.url;
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const commands = await redisCommandsDuring(async () => {
      // As the mobile SDKs and analytics.js 2.0 send it: no Authorization, the key in the body and in every message.
      const batch = {
        writeKey,
        batch: [
          { type: 'track', userId: 'u1', event: 'Signed Up', messageId: 'cred-1', writeKey },
          { type: 'identify', userId: 'u2', messageId: 'cred-2', traits: { plan: 'pro' }, writeKey },
          // Braze refuses it (a custom attribute over 255 characters): a dead letter.
          { type: 'identify', userId: 'u3', messageId: 'cred-dead', traits: { bio: 'x'.repeat(300) }, writeKey },
          // Refused at the door (no user): kept in the rejection log.
          { type: 'track', event: 'Nobody', messageId: 'cred-refused', writeKey },
        ],
      };
      const batchAnswer = await post('/v1/batch', batch);
      expect(batchAnswer.status).toBe(200);
      expect(await batchAnswer.json()).toMatchObject({ success: true, rejected: [{ index: 3, code: 'MISSING_USER' }] });
      expect((await post('/v1/track', { userId: 'u4', event: 'Alone', messageId: 'cred-single', writeKey })).status).toBe(200);
      // The key is checked: a wrong one is refused.
      expect((await post('/v1/track', { userId: 'u4', event: 'E', writeKey: 'not-the-key' })).status).toBe(401);
      const metric = async (sample: RegExp) => sample.test(await (await fetch(`${url}/metrics`)).text());
      if (to === 'dry-run') return eventually(() => metric(/^segment_braze_braze_objects_dry_run_total 4$/m), 'the four objects to be kept as dry-run requests', 30_000);
      await eventually(() => sandbox.received.length === 3, 'the three deliverable messages to reach Braze', 30_000);
      await eventually(() => metric(/^segment_braze_dead_letters 1$/m), 'the dead letter to be kept', 30_000);
    });
    if (to === 'Braze') expect(sandbox.received.map((r) => r.object.external_id).sort()).toEqual(['u1', 'u2', 'u4']);

    if (queue === 'sqlite') {
      const files = filesUnder(dataDir);
      expect(files.some((f) => readFileSync(f).includes('cred-single'))).toBe(true); // the inbox holds the requests...
      expect(files.filter((f) => readFileSync(f).includes(writeKey))).toEqual([]); // ...and not the key
    } else {
      expect(commands.some((c) => c.includes('cred-single'))).toBe(true);
      expect(commands.filter((c) => c.includes(writeKey)).map((c) => c.slice(0, 100))).toEqual([]);
    }

    const rejections = await (await fetch(`${url}/v1/rejections`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(rejections).toContain('cred-refused');
    expect(rejections).not.toContain(writeKey);
  });
});
