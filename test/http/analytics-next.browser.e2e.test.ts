import { Server } from 'node:http';
import type { Page } from 'puppeteer-core';
import { BrazeSandbox, ReceivedObject, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { launchChromium, recordRequests, SeenRequest, startShopPage } from '../helpers/browser';
import { DeliveryApp, eventually, startDeliveryApp } from '../helpers/delivery';

const WRITE_KEY = 'wk-browser';
const AUTHORIZATION = 'Basic ' + Buffer.from(`${WRITE_KEY}:`).toString('base64');
// Chromium's start and the SDK's retry backoff take seconds on a loaded CI machine.
jest.setTimeout(60_000);

const time = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const alias = (alias_name: string) => ({ alias_name, alias_label: 'segment_anonymous_id' });

interface Load {
  /** The Segment.io integration's delivery strategy, as analytics.js 2.0 takes it. */
  deliveryStrategy?: unknown;
  /** Fetch the settings from `<cdnURL>/v1/projects/<writeKey>/settings` instead of passing them in. */
  cdnURL?: string;
}

/** Runs in the page: loads analytics.js 2.0 pointed at the service, with settings that come from loopback, never a CDN. */
async function loadAnalytics(page: Page, apiHost: string, load: Load = {}): Promise<void> {
  await page.evaluate(
    async (writeKey, host, strategy, cdnURL) => {
      const { AnalyticsBrowser } = (window as unknown as { AnalyticsNext: typeof import('@segment/analytics-next') }).AnalyticsNext;
      // Else what Segment's CDN answers for a source without destinations; usage counters flushed every 300 ms instead of 30 s.
      const settings = cdnURL ? { cdnURL } : { cdnSettings: { integrations: { 'Segment.io': { apiKey: writeKey } }, metrics: { flushTimer: 300 } } as never };
      const [analytics] = await AnalyticsBrowser.load(
        { writeKey, ...settings },
        { integrations: { 'Segment.io': { apiHost: host, protocol: 'http', ...(strategy ? { deliveryStrategy: strategy } : {}) } as never } },
      );
      const page = window as unknown as { analytics: typeof analytics; sdkErrors: string[] };
      page.analytics = analytics;
      page.sdkErrors = [];
      analytics.on('error', (e: { code?: string; reason?: unknown }) => void page.sdkErrors.push(`${e.code}: ${String(e.reason)}`));
      analytics.setAnonymousId('anon-browser');
    },
    WRITE_KEY,
    apiHost,
    load.deliveryStrategy ?? null,
    load.cdnURL ?? null,
  );
}

/** Runs in the page: one call of each kind; returns the SDK's delivery errors. */
async function callEveryKind(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const { analytics, sdkErrors } = window as unknown as { analytics: import('@segment/analytics-next').Analytics; sdkErrors: string[] };
    await analytics.identify('user-1', { firstName: 'Ada', email: 'ada@example.com', plan: 'pro' });
    await analytics.track('Song Played', { title: 'Blue' });
    await analytics.page('Docs', 'Pricing', { plan: 'pro' });
    await analytics.screen('Home');
    await analytics.group('acme', { name: 'Acme' });
    await analytics.alias('user-1', 'anon-old');
    return sdkErrors;
  });
}

/** What Braze receives for `callEveryKind`, by the default mapping. */
const everyKindAtBraze = (pageUrl: string): ReceivedObject[] => [
  { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 'user-1', user_alias: alias('anon-browser') } },
  { endpoint: '/users/track', array: 'attributes', object: { external_id: 'user-1', first_name: 'Ada', email: 'ada@example.com', plan: 'pro' } },
  { endpoint: '/users/track', array: 'events', object: { external_id: 'user-1', name: 'Song Played', time, properties: { title: 'Blue' } } },
  // analytics.js adds the page's own properties to every page call.
  { endpoint: '/users/track', array: 'events', object: { external_id: 'user-1', name: 'Viewed Pricing Page', time, properties: { path: '/', referrer: '', search: '', title: 'Shop', url: pageUrl, plan: 'pro', category: 'Docs', name: 'Pricing' } } },
  { endpoint: '/users/track', array: 'events', object: { external_id: 'user-1', name: 'Viewed Home Screen', time } },
  { endpoint: '/users/track', array: 'attributes', object: { external_id: 'user-1', ab_segment_group_acme: true } },
  { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 'user-1', user_alias: alias('anon-old') } },
];

const eventNames = (sandbox: BrazeSandbox) => sandbox.received.filter((r) => r.array === 'events').map((r) => r.object.name);

describe('the real analytics.js 2.0 (@segment/analytics-next) in Chromium, cross-origin, delivered to the Braze sandbox', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let shop: Awaited<ReturnType<typeof startShopPage>>;
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  /** What the service received, headers included (preflights too). */
  let seen: SeenRequest[];
  /** What the page asked for and what it was answered, and its console. */
  let pageRequests: string[];
  let pageResponses: [string, number][];
  let pageFailures: string[];
  let consoleLines: string[];
  let page: Page;

  beforeAll(async () => {
    chromium = await launchChromium();
    shop = await startShopPage();
  });
  afterAll(async () => {
    await chromium?.close();
    await shop?.close();
  });
  beforeEach(async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { SEGMENT_WRITE_KEYS: WRITE_KEY });
    seen = recordRequests(d.app.getHttpServer() as Server);
    [pageRequests, pageResponses, pageFailures, consoleLines] = [[], [], [], []];
    // A context of its own: no cookie, localStorage retry queue or preflight cache carried over from another test.
    const context = await chromium.browser.createBrowserContext();
    page = await context.newPage();
    page.on('request', (r) => void pageRequests.push(r.url()));
    page.on('response', (r) => void pageResponses.push([`${r.request().method()} ${new URL(r.url()).pathname}`, r.status()]));
    page.on('requestfailed', (r) => void pageFailures.push(`${r.method()} ${new URL(r.url()).pathname}`));
    page.on('console', (m) => void consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${shop.origin}/`, { waitUntil: 'load' });
  });
  afterEach(async () => {
    await page?.browserContext().close();
    await d?.close();
    await sandbox?.close();
    // Nothing the page did left loopback: the page, the SDK's bundle and the service only.
    if (pageRequests === undefined) return; // beforeAll failed, and said why
    expect(pageRequests.filter((url) => !url.startsWith(shop.origin) && !url.startsWith(d.url))).toEqual([]);
  });

  const apiHost = () => `${new URL(d.url).host}/v1`;
  const posts = () => seen.filter((r) => r.method === 'POST' && r.path !== '/v1/m');

  it('standard mode: each call posts to its short path and arrives at Braze as mapped', async () => {
    await loadAnalytics(page, apiHost());
    expect(await callEveryKind(page)).toEqual([]);
    await eventually(() => sandbox.received.length >= 7, 'the 7 objects at Braze', 20_000);

    expect(posts().map((r) => [r.path, r.headers['content-type'], r.headers.authorization])).toEqual(
      ['/v1/i', '/v1/t', '/v1/p', '/v1/s', '/v1/g', '/v1/a'].map((path) => [path, 'text/plain', AUTHORIZATION]),
    );
    expect(sandbox.received).toHaveLength(7);
    expect(sandbox.received).toEqual(expect.arrayContaining(everyKindAtBraze(`${shop.origin}/`)));
    expect(eventNames(sandbox)).toEqual(['Song Played', 'Viewed Pricing Page', 'Viewed Home Screen']);
    expect(sandbox.requests.every((r) => r.status === 201)).toBe(true);
    // The SDK's usage counters reach the service too, and get a success rather than a 404.
    await eventually(() => pageResponses.some(([call]) => call === 'POST /v1/m'), "the SDK's usage counters", 20_000);
    expect(pageResponses.filter(([call]) => call === 'POST /v1/m').map(([, status]) => status)).toEqual(expect.arrayContaining([200]));
    expect(pageResponses.filter(([, status]) => status >= 400)).toEqual([]);
    expect(consoleLines.filter((line) => line.startsWith('error'))).toEqual([]);
  });

  it('batching mode (deliveryStrategy: batching): one post to /v1/b arrives at Braze as the same objects', async () => {
    await loadAnalytics(page, apiHost(), { deliveryStrategy: { strategy: 'batching', config: { size: 6 } } });
    expect(await callEveryKind(page)).toEqual([]);
    await eventually(() => sandbox.received.length >= 7, 'the 7 objects at Braze', 20_000);

    expect(posts().map((r) => [r.path, r.headers['content-type'], r.headers.authorization])).toEqual([['/v1/b', 'text/plain', AUTHORIZATION]]);
    expect(sandbox.received).toHaveLength(7);
    expect(sandbox.received).toEqual(expect.arrayContaining(everyKindAtBraze(`${shop.origin}/`)));
    expect(eventNames(sandbox)).toEqual(['Song Played', 'Viewed Pricing Page', 'Viewed Home Screen']);
    expect(pageResponses.filter(([, status]) => status >= 400)).toEqual([]);
  });

  it('settings fetched from the service (cdnURL, or a snippet’s _cdn): the write key comes with them, and the same objects arrive', async () => {
    await loadAnalytics(page, apiHost(), { cdnURL: d.url });
    expect(await callEveryKind(page)).toEqual([]);
    await eventually(() => sandbox.received.length >= 7, 'the 7 objects at Braze', 20_000);

    expect(seen.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([`/v1/projects/${WRITE_KEY}/settings`]);
    expect(posts().map((r) => [r.path, r.headers.authorization])).toEqual(['/v1/i', '/v1/t', '/v1/p', '/v1/s', '/v1/g', '/v1/a'].map((path) => [path, AUTHORIZATION]));
    expect(sandbox.received).toHaveLength(7);
    expect(sandbox.received).toEqual(expect.arrayContaining(everyKindAtBraze(`${shop.origin}/`)));
  });

  it('a visitor whose first attempts found the service down: the SDK retries with X-Retry-Count through a real preflight, and the events arrive once', async () => {
    const server = d.app.getHttpServer() as Server;
    const { port } = new URL(d.url);
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    await loadAnalytics(page, apiHost());
    await page.evaluate(() => {
      const { analytics } = window as unknown as { analytics: import('@segment/analytics-next').Analytics };
      void analytics.identify('user-r', { plan: 'pro' });
      void analytics.track('Checkout Started', { step: 1 });
    });
    await eventually(() => pageFailures.filter((call) => call === 'POST /v1/t').length >= 2, 'two refused attempts of the track call', 20_000);
    expect(seen).toEqual([]);

    await new Promise<void>((resolve) => server.listen(Number(port), '127.0.0.1', resolve));
    await eventually(() => sandbox.received.length >= 3, 'the retried calls at Braze', 30_000);

    const preflights = seen.filter((r) => r.method === 'OPTIONS' && r.path === '/v1/t');
    expect(preflights.length).toBeGreaterThan(0);
    expect(String(preflights[0].headers['access-control-request-headers']).split(',')).toEqual(expect.arrayContaining(['authorization', 'x-retry-count']));
    const retried = posts().filter((r) => r.path === '/v1/t');
    expect(retried).toHaveLength(1);
    expect(Number(retried[0].headers['x-retry-count'])).toBeGreaterThanOrEqual(2);
    expect(sandbox.received).toHaveLength(3);
    expect(sandbox.received).toEqual(
      expect.arrayContaining([
        { endpoint: '/users/identify', array: 'aliases_to_identify', object: { external_id: 'user-r', user_alias: alias('anon-browser') } },
        { endpoint: '/users/track', array: 'attributes', object: { external_id: 'user-r', plan: 'pro' } },
        { endpoint: '/users/track', array: 'events', object: { external_id: 'user-r', name: 'Checkout Started', time, properties: { step: 1 } } },
      ]),
    );
    expect(consoleLines.filter((line) => /CORS|preflight/i.test(line))).toEqual([]);
  });
});
