import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DROP_CODE_NAMES, dropCodeOf } from '../../src/ingest/drop-codes';
import { ExpanderThread } from '../../src/ingest/expander-thread';
import { ExpansionReport } from '../../src/ingest/inbox-expander';
import { loadMappings, MappingRegistry } from '../../src/mapping/mapping.registry';
import { AcceptedRequest } from '../../src/queue/ports/request-inbox.port';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { eventually, T } from '../helpers/delivery';
import { leaseFor } from '../helpers/queue';
import { ROOT } from '../helpers/engine';

// The thread runs the build (dist/), which `npm test` makes first.
const order = (messageId: string, properties: Record<string, unknown>) => ({ type: 'track', userId: 'u', event: 'Order Completed', timestamp: T, messageId, properties });
const ORDERS = [
  order('no-products', {}),
  order('unusable-products', { products: [{ sku: 'S1' }, { sku: 'S2', price: 'n/a' }] }),
  order('empty-products', { products: [] }),
  order('one-product', { products: [{ sku: 'S1', price: 5 }] }),
];

let n = 0;
function request(messages: object[]): AcceptedRequest {
  return { source: 'batch', body: Buffer.from(JSON.stringify({ batch: messages })), receivedAt: Date.parse(T), idBase: `sb-${++n}`, skip: [], messages: messages.length };
}

async function open(reports: ExpansionReport[], warnings: string[]): Promise<{ store: SqliteQueue; expansion: ExpanderThread }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-dropped-'));
  const registry = new MappingRegistry(await loadMappings(join(ROOT, 'mappings'), () => new Date(T)));
  const store = new SqliteQueue(dataDir, () => Date.parse(T));
  const observer = { expanded: (r: ExpansionReport) => reports.push(r), warn: (m: string) => warnings.push(m) };
  const expansion = new ExpanderThread({ thread: { kind: 'sqlite', dataDir, synchronous: 'NORMAL' }, local: store.inbox! }, registry, { batchMessages: 1000, shareUnderLoad: 0.1 }, { ...observer, error: (m) => warnings.push(`error: ${m}`) });
  return { store, expansion };
}

const total = (reports: ExpansionReport[], key: 'messages' | 'duplicates' | 'refused') => reports.reduce((sum, r) => sum + r[key], 0);
const droppedByCode = (reports: ExpansionReport[]) => {
  const counts: Record<string, number> = {};
  for (const [code, count] of reports.flatMap((r) => r.dropped)) counts[code] = (counts[code] ?? 0) + count;
  return counts;
};

describe('accepted messages that make no Braze work', () => {
  it('are reported as dropped, by code, with one log line per transaction; duplicates stay duplicates', async () => {
    const reports: ExpansionReport[] = [];
    const warnings: string[] = [];
    const { store, expansion } = await open(reports, warnings);
    expansion.start();
    await store.accept(request(ORDERS));
    await eventually(() => total(reports, 'messages') === 4, 'the orders to be expanded');
    // A retry of the order without products: a duplicate, not a second drop.
    await store.accept(request([ORDERS[0]]));
    await eventually(() => total(reports, 'messages') === 5, 'the retry to be expanded');
    await expansion.stop();

    expect(droppedByCode(reports)).toEqual({ EACH_EMPTY: 2, ALL_ITEMS_SKIPPED: 1 });
    expect({ duplicates: total(reports, 'duplicates'), refused: total(reports, 'refused') }).toEqual({ duplicates: 1, refused: 0 });
    expect(warnings).toEqual(['3 accepted message(s) made no Braze object and were dropped (EACH_EMPTY 2, ALL_ITEMS_SKIPPED 1); counted in segment_braze_messages_dropped_total']);
    // Only the order with a product made work; every one of the five messages is accounted for.
    expect((await leaseFor(store, 10)).items.map((item) => [item.messageId, item.array])).toEqual([['one-product', 'purchases']]);
    expect(total(reports, 'messages')).toBe(1 + total(reports, 'duplicates') + total(reports, 'refused') + 3);
    await store.close();
  });

  it('a stored request that cannot be admitted again counts every one of its messages as refused', async () => {
    const reports: ExpansionReport[] = [];
    const warnings: string[] = [];
    const { store, expansion } = await open(reports, warnings);
    expansion.start();
    // As if the body's shape had become unreadable between the answer and the expansion.
    await store.accept({ ...request([]), body: Buffer.from('{"batch": 5}'), messages: 3 });
    await eventually(() => total(reports, 'messages') === 3, 'the request to be expanded');
    await expansion.stop();
    expect(reports.flatMap((r) => r.refusedCodes)).toEqual(['EXPANSION_FAILED', 'EXPANSION_FAILED', 'EXPANSION_FAILED']);
    expect(warnings).toEqual(['3 accepted message(s) could not be mapped by the current mapping and went to the dead letters']);
    expect((await store.stats()).deadLetters).toBe(1);
    await store.close();
  });
});

describe('drop codes', () => {
  it('name why from the mapping’s warnings: unusable elements before a missing array, else the safety net', () => {
    const skipped = { code: 'ITEM_SKIPPED' as const, message: '' };
    const empty = { code: 'EACH_EMPTY' as const, message: '' };
    expect(dropCodeOf([empty, skipped])).toBe('ALL_ITEMS_SKIPPED');
    expect(dropCodeOf([empty])).toBe('EACH_EMPTY');
    expect(dropCodeOf([{ code: 'TRANSFORM_FAILED', message: '' }])).toBe('NO_OBJECTS');
    expect(DROP_CODE_NAMES).toEqual(['EACH_EMPTY', 'ALL_ITEMS_SKIPPED', 'NO_OBJECTS']);
  });
});
