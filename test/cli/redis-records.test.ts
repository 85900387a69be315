import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mapMessage } from '../../src/engine';
import { dropCodeOf } from '../../src/ingest/drop-codes';
import { QueuedMessage } from '../../src/queue/ports/work-queue.port';
import { RedisDryRuns } from '../../src/queue/redis/redis-dry-runs';
import { RedisWorkQueue } from '../../src/queue/redis/redis-work-queue';
import { cli } from '../helpers/cli';
import { defaultPlan, ROOT } from '../helpers/engine';
import { enqueue, leaseFor } from '../helpers/queue';
import { dropKeys, freshPrefix, openRedisQueue, REDIS_URL } from '../helpers/redis';
import { freePort } from '../helpers/redis-server';

const T = '2024-03-01T12:00:00.000Z';
const BIN = join(ROOT, 'bin', 'segment-braze.js');

/** A message as the expansion commits it, mapped by the shipped mapping (which makes nothing of an order without products). */
function mapped(message: { messageId: string; userId: string } & Record<string, unknown>): QueuedMessage {
  const result = mapMessage(defaultPlan(), message);
  if (!result.ok) throw new Error(result.error.message);
  return { messageId: message.messageId, userKey: message.userId, receivedAt: T, requests: result.requests, warnings: result.warnings, message, ...(result.requests.length === 0 && { dropCode: dropCodeOf(result.warnings) }) };
}

const event = (n: number) => mapped({ type: 'track', userId: 'u', event: `Event ${n}`, timestamp: T, messageId: `m${n}` });
const order = (messageId: string) => mapped({ type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId, properties: {} });

/** The shipped mapping with the event name changed, as a fix after the dead letters would be. */
function fixedMappings(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-fixed-'));
  cpSync(join(ROOT, 'mappings'), dir, { recursive: true });
  const file = join(dir, 'braze.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^examples:[\s\S]*$/m, '').replace('name: { path: event, transform: [string, nonempty], required: true }', 'name: { template: "App {{event}}", required: true }'));
  return dir;
}

describe('segment-braze dead-letters, dropped and dry-run with QUEUE=redis', () => {
  let queue: RedisWorkQueue;
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => cli(args, '', ROOT, env);

  beforeEach(async () => {
    const prefix = freshPrefix();
    queue = await openRedisQueue(() => Date.parse(T), prefix);
    env = { QUEUE: 'redis', REDIS_URL, REDIS_PREFIX: prefix };
  });
  afterEach(async () => {
    await queue.close();
    await dropKeys(queue.prefix);
  });

  /** Two dead letters of user u, as an instance leaves them after Braze refused them. */
  async function deadLetters(): Promise<void> {
    await enqueue(queue, [event(1), event(2)]);
    const lease = await leaseFor(queue, 10);
    await queue.settle(lease, { deadLetter: lease.items.map((i) => ({ id: i.id, reason: 'HTTP 400: Max Input Length Exceeded', status: 400 })) });
  }

  it('dead-letters lists, shows and purges what the instances left in Redis; a replay is heard by every instance', async () => {
    await deadLetters();
    const list = await run('dead-letters', 'list');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^1\t2024-03-01T12:00:00.000Z\t\/users\/track events\tmessage m1\tuser u\tHTTP 400: Max Input Length Exceeded\n2\t.*\tmessage m2\t.*\n2 dead letter\(s\)\n$/);
    expect(JSON.parse((await run('dead-letters', 'list', '--json', '--limit', '1')).stdout)).toMatchObject({ total: 2, items: [{ id: 1, messageId: 'm1', status: 400 }] });
    expect(JSON.parse((await run('dead-letters', 'show', '1')).stdout)).toMatchObject({ id: 1, object: { external_id: 'u', name: 'Event 1' }, message: { event: 'Event 1', messageId: 'm1' } });
    expect(await run('dead-letters', 'show', '9')).toMatchObject({ code: 1, stderr: 'dead-letters: no dead letter 9\n' });

    const heard = new Promise<void>((resolve) => queue.wakeUp.listen(resolve));
    expect(await run('dead-letters', 'replay', '2')).toMatchObject({ code: 0, stdout: 'replayed 1 dead letter(s)\n' });
    await expect(heard).resolves.toBeUndefined();
    expect((await leaseFor(queue, 10)).items.map((i) => [i.messageId, i.object.name])).toEqual([['m2', 'Event 2']]);

    expect(await run('dead-letters', 'purge', '1')).toMatchObject({ code: 0, stdout: 'purged 1 dead letter(s)\n' });
    expect(await run('dead-letters', 'list')).toMatchObject({ code: 0, stdout: '0 dead letter(s)\n' });
    expect(await queue.stats()).toMatchObject({ deadLetters: 0 });
  });

  it('dead-letters replay --remap maps the stored messages again; what the mapping still makes nothing of stays, with why (exit 2)', async () => {
    await deadLetters();
    const refused = { index: 0, messageId: 'o1', userKey: 'u', code: 'NO_MATCHING_RULE', message: 'no rule applies', payload: order('o1').message };
    await queue.commit({ messages: [], refused: [refused] });
    const mappings = fixedMappings();
    const replay = await run('dead-letters', 'replay', '--all', '--remap', '--mappings', mappings);
    expect(replay).toMatchObject({ code: 2, stdout: `replayed 2 dead letter(s) re-mapped with ${mappings}\nskipped 3: the mapping makes no Braze object of it (EACH_EMPTY)\n` });
    expect((await leaseFor(queue, 10)).items.map((i) => i.object.name)).toEqual(['App Event 1', 'App Event 2']);
    expect(JSON.parse((await run('dead-letters', 'list', '--json')).stdout)).toMatchObject({ total: 1, items: [{ id: 3, messageId: 'o1', endpoint: 'unmapped' }] });
  });

  it('dropped lists, shows and purges the messages a commit made nothing of', async () => {
    await enqueue(queue, [order('no-products'), event(1), order('nothing-either')]);
    const list = await run('dropped', 'list');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout.split('\n').map((line) => line.split('\t').slice(2))).toEqual([['EACH_EMPTY', 'nothing-either', 'u'], ['EACH_EMPTY', 'no-products', 'u'], [], []]);
    expect(list.stdout).toMatch(/\n2 dropped message\(s\) kept\n$/);
    expect(JSON.parse((await run('dropped', 'list', '--json')).stdout)).toMatchObject({ total: 2, byCode: { EACH_EMPTY: 2 } });
    expect(JSON.parse((await run('dropped', 'show', '1')).stdout)).toMatchObject({ id: 1, code: 'EACH_EMPTY', messageId: 'no-products', message: { event: 'Order Completed', properties: {} } });
    expect(await run('dropped', 'show', '9')).toMatchObject({ code: 1, stderr: 'dropped: no dropped message 9\n' });
    expect(await run('dropped', 'purge', '1')).toMatchObject({ code: 0, stdout: 'purged 1 dropped message(s)\n' });
    expect(await run('dropped', 'purge', '--all')).toMatchObject({ code: 0, stdout: 'purged 1 dropped message(s)\n' });
    expect(await run('dropped', 'list')).toMatchObject({ code: 0, stdout: '0 dropped message(s) kept\n' });
  });

  it('dry-run lists, shows and purges the requests dry-run instances kept', async () => {
    const sink = new RedisDryRuns(queue);
    await sink.record({ endpoint: '/users/track', body: { events: [{ external_id: 'u', name: 'A' }, { external_id: 'u', name: 'B' }] } });
    await sink.record({ endpoint: '/users/alias/new', body: { user_aliases: [{ external_id: 'u', alias_name: 'a', alias_label: 'l' }] } });
    expect(await run('dry-run', 'list')).toMatchObject({
      code: 0,
      stdout: `2\t${T}\t/users/alias/new\t1 user_aliases\n1\t${T}\t/users/track\t2 events\n2 dry-run request(s) kept\n`,
    });
    expect(JSON.parse((await run('dry-run', 'show', '1')).stdout)).toMatchObject({ id: 1, body: { events: [{ name: 'A' }, { name: 'B' }] } });
    expect(await run('dry-run', 'show', '3')).toMatchObject({ code: 1, stderr: 'dry-run: no dry-run request 3\n' });
    expect(await run('dry-run', 'purge', '2')).toMatchObject({ code: 0, stdout: 'purged 1 dry-run request(s)\n' });
    expect(await run('dry-run', 'purge', '--all')).toMatchObject({ code: 0, stdout: 'purged 1 dry-run request(s)\n' });
    expect((await sink.list(10)).total).toBe(0);
  });

  it('the installed command, in a process of its own with QUEUE=redis in its environment, reads the same', async () => {
    await deadLetters();
    const bin = await promisify(execFile)(process.execPath, [BIN, 'dead-letters', 'list'], { cwd: ROOT, env: { ...process.env, ...env } });
    expect(bin.stdout).toBe((await run('dead-letters', 'list')).stdout);
  });

  it('an unreachable Redis is one line on stderr, without the password, and exit 1', async () => {
    env = { ...env, REDIS_URL: `redis://:hunter2@127.0.0.1:${await freePort()}` };
    for (const command of ['dead-letters', 'dropped', 'dry-run']) {
      const failed = await run(command, 'list');
      expect(failed).toMatchObject({ code: 1, stdout: '' });
      expect(failed.stderr).toMatch(new RegExp(`^${command}: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/? is not reachable: .*ECONNREFUSED.*\\n$`));
    }
    const bin: { code?: number; stderr: string } = await promisify(execFile)(process.execPath, [BIN, 'dropped', 'list'], { cwd: ROOT, env: { ...process.env, ...env } }).catch((error) => error);
    expect({ code: bin.code, lines: bin.stderr.split('\n').length, password: bin.stderr.includes('hunter2') }).toEqual({ code: 1, lines: 2, password: false });
  });

  it('refuses settings it cannot use, naming them, and --data-dir with QUEUE=redis', async () => {
    expect(await cli(['dropped', 'list'], '', ROOT, { ...env, REDIS_PREFIX: 'no-tag:' })).toMatchObject({
      code: 1,
      stderr: 'dropped: REDIS_PREFIX must hold one hash tag in braces, such as sb:{q}: (got "no-tag:")\n',
    });
    expect(await cli(['dry-run', 'list'], '', ROOT, { ...env, REDIS_URL: 'http://:hunter2@example.com' })).toMatchObject({
      code: 1,
      stderr: 'dry-run: REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379\n',
    });
    const dataDir = await run('dead-letters', 'list', '--data-dir', tmpdir());
    expect(dataDir).toMatchObject({ code: 1, stdout: '' });
    expect(dataDir.stderr).toMatch(/^dead-letters: --data-dir names the embedded store, but QUEUE=redis/);
  });
});
