import request from 'supertest';
import { cli } from '../helpers/cli';
import { DeliveryApp, event, eventually, scrape, startDeliveryApp, T } from '../helpers/delivery';

const order = (messageId: string, products?: unknown[]) => ({ type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId, properties: products ? { products } : {} });

describe('segment-braze dropped', () => {
  let d: DeliveryApp;
  afterEach(() => d?.close());

  it('lists, shows and purges the accepted messages the mapping made nothing of, with their codes, beside the running service', async () => {
    d = await startDeliveryApp(null);
    await request(d.url).post('/v1/batch').send({ batch: [order('no-products'), order('unusable', [{ sku: 'S1' }]), event('u', 0)] }).expect(200);
    await eventually(async () => (await scrape(d.url, 'segment_braze_messages_dropped_total{code="ALL_ITEMS_SKIPPED"}')) === 1, 'the drops to be counted');
    const dataDir = ['--data-dir', d.dataDir];

    const list = await cli(['dropped', 'list', ...dataDir]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const lines = list.stdout.split('\n').filter(Boolean);
    expect(lines.map((line) => line.split('\t').slice(2))).toEqual([['ALL_ITEMS_SKIPPED', 'unusable', 'u'], ['EACH_EMPTY', 'no-products', 'u'], []]);
    expect(lines.at(-1)).toBe('2 dropped message(s) kept');
    // The metric and the record agree: every message counted as dropped can be read back.
    expect(JSON.parse((await cli(['dropped', 'list', '--json', ...dataDir])).stdout)).toMatchObject({ total: 2, byCode: { ALL_ITEMS_SKIPPED: 1, EACH_EMPTY: 1 } });
    expect(await scrape(d.url, 'segment_braze_messages_dropped_total{code="EACH_EMPTY"}')).toBe(1);

    const show = JSON.parse((await cli(['dropped', 'show', '1', ...dataDir])).stdout);
    expect(show).toMatchObject({ id: 1, code: 'EACH_EMPTY', messageId: 'no-products', userKey: 'u', message: { type: 'track', event: 'Order Completed', messageId: 'no-products', properties: {} } });
    expect(await cli(['dropped', 'show', '9', ...dataDir])).toMatchObject({ code: 1, stderr: 'dropped: no dropped message 9\n' });

    expect((await cli(['dropped', 'purge', '--all', ...dataDir])).stdout).toBe('purged 2 dropped message(s)\n');
    expect((await cli(['dropped', 'list', ...dataDir])).stdout).toBe('0 dropped message(s) kept\n');
  });

  it('says what it takes', async () => {
    const help = await cli(['dropped', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: segment-braze dropped list\|show ID\|purge ID\.\.\. \[options\]/);
  });
});
