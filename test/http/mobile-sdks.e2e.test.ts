import { request as httpRequest } from 'node:http';
import { createGzip } from 'node:zlib';
import { BrazeSandbox, ReceivedObject, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, startDeliveryApp } from '../helpers/delivery';

/**
 * `/v1/b` exactly as the mobile SDKs send it (from their sources): the batch file each one
 * writes, byte for byte in shape, and the headers of its upload. None sends Authorization:
 * the write key is in the body.
 *
 * - analytics-kotlin: `{"batch":[e1,e2],"sentAt":…,"writeKey":…}` (StorageImpl), text/plain,
 *   gzip'ed and chunked (HTTPClient), kotlinx encoding defaults: `"userId":""` when anonymous.
 * - analytics-swift: `{ "batch": [` and one event a line, `],"sentAt":…,"writeKey":…}`
 *   (DirectoryStore), application/json; charset=utf-8, not compressed.
 * - analytics-react-native: `JSON.stringify({batch, sentAt, writeKey})` (api.ts), application/json.
 * All three add `X-Retry-Count` when they send a batch again.
 */
const WRITE_KEY = 'wk-mobile';
const T = '2024-03-01T12:00:00.000Z';
const SENT_AT = '2024-03-01T12:00:05.000Z';
jest.setTimeout(30_000);

const time = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const alias = (alias_name: string) => ({ alias_name, alias_label: 'segment_anonymous_id' });
const METADATA = { bundled: [], unbundled: [], bundledIds: [] };

function kotlinContext(instanceId: string) {
  return {
    app: { name: 'Shop', version: '2.1.0', namespace: 'com.example.shop', build: '42' },
    device: { id: 'b2c1d3e4', manufacturer: 'Google', model: 'Pixel 8', name: 'husky', type: 'android' },
    library: { name: 'analytics-kotlin', version: '1.24.1' },
    os: { name: 'Android', version: '14' },
    screen: { density: 2.625, height: 2400, width: 1080 },
    network: { wifi: true, carrier: 'unknown', bluetooth: false, cellular: false },
    locale: 'en-US',
    userAgent: 'Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A)',
    timezone: 'Europe/Paris',
    instanceId,
  };
}

/** kotlinx.serialization's order: the event's own members, then the base ones, defaults included. */
function kotlinBatch(): string {
  const base = (messageId: string, userId: string, anonymousId: string) => ({ messageId, anonymousId, integrations: {}, context: kotlinContext('i-1'), userId, _metadata: METADATA, timestamp: T });
  const events = [
    { traits: { firstName: 'Kim', email: 'kim@example.com' }, type: 'identify', ...base('k-1', 'k-user', 'k-anon') },
    { properties: { title: 'Blue' }, event: 'Song Played', type: 'track', ...base('k-2', 'k-user', 'k-anon') },
    { name: 'Home', category: '', properties: {}, type: 'screen', ...base('k-3', '', 'k-anon-2') },
  ].map((e) => JSON.stringify(e));
  return `{"batch":[${events.join(',')}],"sentAt":"${SENT_AT}","writeKey":"${WRITE_KEY}"}`;
}

function swiftBatch(): string {
  const context = { app: { name: 'Shop', version: '2.1.0', build: '42', namespace: 'com.example.shop' }, device: { manufacturer: 'Apple', type: 'ios', model: 'iPhone15,2', name: 'iPhone' }, library: { name: 'analytics-swift', version: '1.9.1' }, os: { name: 'iOS', version: '17.4' }, locale: 'en-US', timezone: 'Europe/Paris', instanceId: 'i-2' };
  const base = { anonymousId: 's-anon', timestamp: T, context, integrations: {}, _metadata: METADATA };
  const lines = [
    { type: 'identify', ...base, messageId: 's-1', userId: 's-user', traits: { lastName: 'Lee', plan: 'gold' } },
    { type: 'track', ...base, messageId: 's-2', userId: 's-user', event: 'Order Completed', properties: { currency: 'EUR', products: [{ product_id: 'p1', price: 12.5, quantity: 2 }] } },
    { type: 'screen', ...base, messageId: 's-3', userId: 's-user', name: 'Cart', properties: { items: 2 } },
  ].map((e, i) => `${i === 0 ? '' : ','}${JSON.stringify(e)}\n`);
  return `{ "batch": [\n${lines.join('')}],"sentAt":"${SENT_AT}","writeKey":"${WRITE_KEY}"}\n`;
}

function reactNativeBatch(): string {
  const context = { app: { name: 'Shop', version: '2.1.0', build: '42', namespace: 'com.example.shop' }, device: { manufacturer: 'Apple', model: 'iPhone15,2', type: 'ios' }, library: { name: '@segment/analytics-react-native', version: '2.21.0' }, os: { name: 'iOS', version: '17.4' }, locale: 'en-US', timezone: 'Europe/Paris', instanceId: 'i-3' };
  const base = { anonymousId: 'r-anon', timestamp: T, context, integrations: {} };
  const batch = [
    { ...base, type: 'track', messageId: 'r-1', event: 'App Opened', properties: { from_background: false } },
    { ...base, type: 'group', messageId: 'r-2', userId: 'r-user', groupId: 'team-7', traits: { name: 'Team 7' } },
    { ...base, type: 'alias', messageId: 'r-3', userId: 'r-user', previousId: 'r-anon' },
  ];
  return JSON.stringify({ batch, sentAt: SENT_AT, writeKey: WRITE_KEY });
}

interface Upload {
  headers: Record<string, string>;
  body: string;
  /** Gzip the body and stream it in chunks, as analytics-kotlin does. */
  gzip?: boolean;
}

const UPLOADS: Record<string, () => Upload> = {
  'analytics-kotlin': () => ({ headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'User-Agent': 'analytics-kotlin/1.24.1' }, body: kotlinBatch(), gzip: true }),
  'analytics-swift': () => ({ headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'analytics-ios/1.9.1', 'Accept-Encoding': 'gzip' }, body: swiftBatch() }),
  'analytics-react-native': () => ({ headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: reactNativeBatch() }),
};

/** What Braze receives for each SDK's batch, by the default mapping. */
const AT_BRAZE: Record<string, ReceivedObject[]> = {
  'analytics-kotlin': [
    { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 'k-user', user_alias: alias('k-anon') } },
    { endpoint: '/users/track', array: 'attributes', object: { external_id: 'k-user', first_name: 'Kim', email: 'kim@example.com' } },
    { endpoint: '/users/track', array: 'events', object: { external_id: 'k-user', name: 'Song Played', time, properties: { title: 'Blue' } } },
    // Kotlin sends "userId": "" for an anonymous user: the alias profile, not an empty external_id.
    { endpoint: '/users/track', array: 'events', object: { user_alias: alias('k-anon-2'), _update_existing_only: false, name: 'Viewed Home Screen', time } },
  ],
  'analytics-swift': [
    { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 's-user', user_alias: alias('s-anon') } },
    { endpoint: '/users/track', array: 'attributes', object: { external_id: 's-user', last_name: 'Lee', plan: 'gold' } },
    { endpoint: '/users/track', array: 'purchases', object: { external_id: 's-user', product_id: 'p1', currency: 'EUR', price: 12.5, quantity: 2, time } },
    { endpoint: '/users/track', array: 'events', object: { external_id: 's-user', name: 'Viewed Cart Screen', time, properties: { items: 2 } } },
  ],
  'analytics-react-native': [
    { endpoint: '/users/track', array: 'events', object: { user_alias: alias('r-anon'), _update_existing_only: false, name: 'App Opened', time, properties: { from_background: false } } },
    { endpoint: '/users/track', array: 'attributes', object: { external_id: 'r-user', 'ab_segment_group_team-7': true } },
    { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 'r-user', user_alias: alias('r-anon') } },
  ],
};

/** Sends one upload over a real connection; answers the status and the parsed body. */
function upload(url: string, { headers, body, gzip }: Upload, extra: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v1/b`, { method: 'POST', headers: { ...headers, ...extra, ...(gzip ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    if (!gzip) return void req.end(body);
    const zipped = createGzip();
    zipped.pipe(req);
    // Written in two pieces, so the request really is chunked.
    const half = Math.floor(body.length / 2);
    zipped.write(body.slice(0, half));
    zipped.end(body.slice(half));
  });
}

describe('/v1/b exactly as the mobile SDKs send it, delivered to the Braze sandbox', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  beforeAll(async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { SEGMENT_WRITE_KEYS: WRITE_KEY });
  });
  afterAll(async () => {
    await d?.close();
    await sandbox?.close();
  });

  const ofUsers = (prefix: string) =>
    sandbox.received.filter((r) => String(r.object.external_id ?? (r.object.user_alias as { alias_name?: string } | undefined)?.alias_name).startsWith(prefix));

  it.each(Object.keys(UPLOADS))('%s: the batch is accepted and Braze receives exactly the mapped objects', async (sdk) => {
    const prefix = sdk.split('-')[1][0] + '-';
    expect(await upload(d.url, UPLOADS[sdk]())).toEqual({ status: 200, body: { success: true } });
    const expected = AT_BRAZE[sdk];
    await eventually(() => ofUsers(prefix).length >= expected.length, `${expected.length} objects at Braze`, 20_000);
    expect(ofUsers(prefix)).toHaveLength(expected.length);
    expect(ofUsers(prefix)).toEqual(expect.arrayContaining(expected));
  });

  it('a batch sent again with X-Retry-Count (its answer was lost) reaches Braze once', async () => {
    await eventually(async () => (await d.store.stats()).pending === 0 && (await d.store.stats()).leased === 0 && (await d.store.stats()).inboxMessages === 0, 'the earlier batches to be delivered', 20_000);
    const before = sandbox.received.length;
    expect(await upload(d.url, UPLOADS['analytics-kotlin'](), { 'X-Retry-Count': '1' })).toEqual({ status: 200, body: { success: true } });
    // The retry is stored and expanded like any request; its messageIds were seen, so it makes no work.
    await eventually(async () => (await d.store.stats()).inboxMessages === 0, 'the retried batch to be expanded', 20_000);
    expect(await d.store.stats()).toMatchObject({ pending: 0, leased: 0, deadLetters: 0 });
    expect(sandbox.received.length).toBe(before);
  });

  it('without the write key in the body the batch is refused, as none of these SDKs sends Authorization', async () => {
    const { headers } = UPLOADS['analytics-swift']();
    const body = swiftBatch().replace(`,"writeKey":"${WRITE_KEY}"`, '');
    expect(await upload(d.url, { headers, body })).toMatchObject({ status: 401, body: { success: false, error: { code: 'UNAUTHORIZED' } } });
  });
});
