import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapMessage } from '../../src/engine';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { cli } from '../helpers/cli';
import { enqueue, leaseFor } from '../helpers/queue';
import { defaultPlan, ROOT } from '../helpers/engine';

const T = '2024-03-01T12:00:00.000Z';

/** A store holding two dead letters, as the worker leaves them after Braze refused them. */
async function storeWithDeadLetters(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-dead-'));
  const store = new SqliteQueue(dataDir, () => Date.parse(T));
  const plan = defaultPlan();
  const messages = [1, 2].map((n) => ({ type: 'track', userId: 'u', event: `Event ${n}`, timestamp: T, messageId: `m${n}` }));
  await enqueue(store, messages.map((m) => ({ messageId: m.messageId, userKey: 'u', receivedAt: T, requests: (mapMessage(plan, m) as unknown as { requests: never[] }).requests, warnings: [], message: m })));
  const leased = await leaseFor(store, 10);
  await store.settle(leased, { deadLetter: leased.items.map((item) => ({ id: item.id, reason: 'HTTP 400: Max Input Length Exceeded', status: 400 })) });
  await store.close();
  return dataDir;
}

describe('segment-braze dead-letters', () => {
  it('lists, shows with the original message, and purges', async () => {
    const dataDir = await storeWithDeadLetters();
    const list = await cli(['dead-letters', 'list', '--data-dir', dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^1\t.*\/users\/track events\tmessage m1\tuser u\tHTTP 400: Max Input Length Exceeded$/m);
    expect(list.stdout).toMatch(/^2 dead letter\(s\)$/m);
    const json = JSON.parse((await cli(['dead-letters', 'list', '--json', '--data-dir', dataDir])).stdout);
    expect(json.items[1]).toMatchObject({ id: 2, messageId: 'm2', status: 400, object: { name: 'Event 2' } });
    const show = JSON.parse((await cli(['dead-letters', 'show', '1', '--data-dir', dataDir])).stdout);
    expect(show).toMatchObject({ id: 1, object: { external_id: 'u', name: 'Event 1' }, message: { type: 'track', event: 'Event 1', messageId: 'm1' } });
    expect((await cli(['dead-letters', 'show', '9', '--data-dir', dataDir])).code).toBe(1);
    expect((await cli(['dead-letters', 'purge', '1', '--data-dir', dataDir])).stdout).toBe('purged 1 dead letter(s)\n');
    expect((await cli(['dead-letters', 'purge', '--all', '--data-dir', dataDir])).stdout).toBe('purged 1 dead letter(s)\n');
  });

  it('replays as stored, back into the queue', async () => {
    const dataDir = await storeWithDeadLetters();
    expect((await cli(['dead-letters', 'replay', '2', '--data-dir', dataDir])).stdout).toBe('replayed 1 dead letter(s)\n');
    const store = new SqliteQueue(dataDir, () => Date.now());
    expect(await store.stats()).toMatchObject({ pending: 1, deadLetters: 1 });
    expect((await leaseFor(store, 10)).items.map((i) => i.object)).toEqual([{ external_id: 'u', name: 'Event 2', time: T }]);
    await store.close();
  });

  it('replays re-mapped with a fixed mapping', async () => {
    const dataDir = await storeWithDeadLetters();
    const mappings = mkdtempSync(join(tmpdir(), 'sb-fixed-'));
    cpSync(join(ROOT, 'mappings'), mappings, { recursive: true });
    const file = join(mappings, 'braze.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^examples:[\s\S]*$/m, '').replace('name: { path: event, transform: [string, nonempty], required: true }', 'name: { template: "App {{event}}", required: true }'));
    const run = await cli(['dead-letters', 'replay', '--all', '--remap', '--mappings', mappings, '--data-dir', dataDir]);
    expect(run.stdout).toContain(`replayed 2 dead letter(s) re-mapped with ${mappings}`);
    const store = new SqliteQueue(dataDir, () => Date.now());
    expect((await leaseFor(store, 10)).items.map((i) => i.object.name)).toEqual(['App Event 1', 'App Event 2']);
    await store.close();
  });

  it('a message the mapping now serves with nothing to send stays a dead letter, with the reason', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-dead-'));
    const store = new SqliteQueue(dataDir, () => Date.parse(T));
    const order = { type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId: 'o1', properties: {} };
    // As the expansion leaves a message an earlier mapping could not serve.
    await store.commit({ messages: [], refused: [{ index: 0, messageId: 'o1', userKey: 'u', code: 'NO_MATCHING_RULE', message: 'no rule applies', payload: order }] });
    await store.close();
    const run = await cli(['dead-letters', 'replay', '--all', '--remap', '--mappings', join(ROOT, 'mappings'), '--data-dir', dataDir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('skipped 1: the mapping makes no Braze object of it (EACH_EMPTY)');
    expect(JSON.parse((await cli(['dead-letters', 'list', '--json', '--data-dir', dataDir])).stdout)).toMatchObject({ total: 1, items: [{ messageId: 'o1', endpoint: 'unmapped' }] });
  });

  it('says so when there is no store', async () => {
    const run = await cli(['dead-letters', 'list', '--data-dir', join(tmpdir(), 'nothing-here-' + Date.now())]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no store in/);
  });
});
