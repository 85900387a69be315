import { Analytics } from '@segment/analytics-node';
import { startApp, TestApp } from '../helpers/app';

const WHEN = new Date('2024-03-01T12:00:00.000Z');

describe('the real @segment/analytics-node client, pointed at the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: 'wk-test' });
  });
  afterAll(() => t.close());

  it('delivers identify, track, Order Completed, group, page and alias as exactly the mapped requests', async () => {
    const analytics = new Analytics({ writeKey: 'wk-test', host: t.url, flushAt: 20, flushInterval: 50, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({ userId: 'user-1', anonymousId: 'anon-1', traits: { firstName: 'Ada', email: 'ada@example.com', address: { city: 'Paris', street: 'Rivoli' }, plan: 'pro' }, timestamp: WHEN });
    analytics.track({ userId: 'user-1', event: 'Song Played', properties: { title: 'Blue' }, timestamp: WHEN });
    analytics.track({ userId: 'user-1', event: 'Order Completed', properties: { currency: 'eur', products: [{ product_id: 'p1', price: '9.99', quantity: 2, name: 'Book' }, { sku: 's2', price: 5 }] }, timestamp: WHEN });
    analytics.group({ userId: 'user-1', groupId: 'acme', traits: { name: 'Acme' }, timestamp: WHEN });
    analytics.page({ anonymousId: 'anon-2', name: 'Pricing', properties: { path: '/pricing' }, timestamp: WHEN });
    analytics.alias({ userId: 'user-1', previousId: 'anon-3', timestamp: WHEN });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const messages = t.queue.messages;
    expect(messages).toHaveLength(6);
    for (const m of messages) expect(m.messageId).toMatch(/^node-next-/);
    const [identify, track, order, group, page, alias] = messages;
    const time = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    expect(identify.requests).toEqual([
      { endpoint: '/users/identify', body: { aliases_to_identify: [{ external_id: 'user-1', user_alias: { alias_name: 'anon-1', alias_label: 'segment_anonymous_id' } }], merge_behavior: 'merge' } },
      { endpoint: '/users/track', body: { attributes: [{ external_id: 'user-1', first_name: 'Ada', home_city: 'Paris', email: 'ada@example.com', address: { street: 'Rivoli' }, plan: 'pro' }] } },
    ]);
    expect(track.requests).toEqual([{ endpoint: '/users/track', body: { events: [{ external_id: 'user-1', name: 'Song Played', time, properties: { title: 'Blue' } }] } }]);
    expect(order.requests).toEqual([
      {
        endpoint: '/users/track',
        body: {
          purchases: [
            { external_id: 'user-1', product_id: 'p1', currency: 'EUR', price: 9.99, quantity: 2, time, properties: { name: 'Book' } },
            { external_id: 'user-1', product_id: 's2', currency: 'EUR', price: 5, quantity: 1, time },
          ],
        },
      },
    ]);
    expect(group.requests).toEqual([{ endpoint: '/users/track', body: { attributes: [{ external_id: 'user-1', ab_segment_group_acme: true }] } }]);
    expect(page.requests).toEqual([
      { endpoint: '/users/track', body: { events: [{ user_alias: { alias_name: 'anon-2', alias_label: 'segment_anonymous_id' }, _update_existing_only: false, name: 'Viewed Pricing Page', time, properties: { path: '/pricing' } }] } },
    ]);
    expect(alias.requests).toEqual([
      { endpoint: '/users/identify', body: { aliases_to_identify: [{ external_id: 'user-1', user_alias: { alias_name: 'anon-3', alias_label: 'segment_anonymous_id' } }], merge_behavior: 'merge' } },
    ]);
    expect(messages.map((m) => m.userKey)).toEqual(['user-1', 'user-1', 'user-1', 'user-1', 'anon-2', 'user-1']);
  });

  it('a client with a wrong write key is refused and nothing is queued', async () => {
    const before = t.queue.messages.length;
    const analytics = new Analytics({ writeKey: 'not-the-key', host: t.url, flushAt: 1, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.track({ userId: 'u', event: 'E' });
    await analytics.closeAndFlush();
    expect(errors.length).toBeGreaterThan(0);
    expect(t.queue.messages.length).toBe(before);
  });
});
