import request from 'supertest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cli } from '../helpers/cli';
import { ROOT } from '../helpers/engine';
import { DeliveryApp, event, eventually, startDeliveryApp, T } from '../helpers/delivery';

describe('segment-braze dry-run', () => {
  let d: DeliveryApp;
  afterEach(() => d?.close());

  it('lists, shows and purges what a running dry-run service kept, beside it', async () => {
    d = await startDeliveryApp(null);
    const identify = { type: 'identify', userId: 'u', messageId: 'i1', traits: { plan: 'pro' } };
    await request(d.url).post('/v1/batch').send({ batch: [event('u', 0), event('u', 1), identify] }).expect(200);
    // The user's objects of one round share one request; the identify may come in a round of its own.
    await eventually(async () => (await d.store.dryRuns.list(10)).items.reduce((n, r) => n + Object.values(r.body as Record<string, unknown[]>).flat().length, 0) === 3, 'three objects kept');
    const kept = (await d.store.dryRuns.list(10)).items.length;
    const dataDir = ['--data-dir', d.dataDir];

    const list = await cli(['dry-run', 'list', ...dataDir]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^1\t\d{4}-\d\d-\d\dT[\d:.]+Z\t\/users\/track\t(1 attributes, )?2 events$/m);
    expect(list.stdout).toMatch(new RegExp(`^${kept} dry-run request\\(s\\) kept\\n$`, 'm'));
    // The installed command, in a process of its own beside the service, reads the same.
    const bin = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'segment-braze.js'), 'dry-run', 'list', ...dataDir], { cwd: ROOT });
    expect(bin.stdout).toBe(list.stdout);

    const json = JSON.parse((await cli(['dry-run', 'list', '--json', '--limit', '1', ...dataDir])).stdout);
    expect(json).toMatchObject({ total: kept, items: [{ id: kept, endpoint: '/users/track' }] });
    const bodies = JSON.parse((await cli(['dry-run', 'list', '--json', ...dataDir])).stdout).items.map((r: { body: object }) => r.body);
    expect(bodies.flatMap((b: { events?: unknown[] }) => b.events ?? [])).toEqual([0, 1].map((seq) => ({ external_id: 'u', name: 'Step', time: T, properties: { seq } })));
    expect(bodies.flatMap((b: { attributes?: unknown[] }) => b.attributes ?? [])).toEqual([{ external_id: 'u', plan: 'pro' }]);

    const show = await cli(['dry-run', 'show', '1', ...dataDir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: 1, endpoint: '/users/track', body: { events: [{ name: 'Step' }, { name: 'Step' }] } });
    expect(await cli(['dry-run', 'show', '99', ...dataDir])).toMatchObject({ code: 1, stderr: 'dry-run: no dry-run request 99\n' });

    expect((await cli(['dry-run', 'purge', '1', ...dataDir])).stdout).toBe('purged 1 dry-run request(s)\n');
    expect((await cli(['dry-run', 'purge', '--all', ...dataDir])).stdout).toBe(`purged ${kept - 1} dry-run request(s)\n`);
    expect((await cli(['dry-run', 'list', ...dataDir])).stdout).toBe('0 dry-run request(s) kept\n');
    // The service went on meanwhile: it still takes and keeps requests.
    await request(d.url).post('/v1/batch').send({ batch: [event('v', 0)] }).expect(200);
    await eventually(async () => (await d.store.dryRuns.list(10)).items.length === 1, 'a new record after the purge');
  });

  it('refuses what it cannot use, with the reason', async () => {
    const nowhere = join(tmpdir(), `sb-none-${process.pid}-${Date.now()}`);
    expect(await cli(['dry-run', 'list', '--data-dir', nowhere])).toMatchObject({ code: 1, stderr: `dry-run: no store in ${nowhere} (set --data-dir or DATA_DIR)\n` });
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-dry-'));
    d = await startDeliveryApp(null, {}, dataDir);
    for (const [args, message] of [
      [['list', '--limit', 'ten'], '--limit takes a whole number above 0 (got "ten")'],
      [['purge'], 'purge takes dry-run request ids or --all'],
      [['show', 'x'], '"x" is not a dry-run request id'],
      [['send'], 'dry-run takes list, show or purge (got "send")'],
    ] as const) {
      const run = await cli(['dry-run', ...args, '--data-dir', dataDir]);
      expect({ code: run.code, first: run.stderr.split('\n')[0] }).toEqual({ code: 1, first: `segment-braze: ${message}` });
    }
  });
});
