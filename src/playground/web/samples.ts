/** Messages to start from: one per Segment call the default mapping serves, and one it does not. */
const at = '2024-03-01T12:00:00.000Z';

export const SAMPLES: { readonly id: string; readonly label: string; readonly message: unknown }[] = [
  {
    id: 'identify',
    label: 'identify with traits',
    message: {
      type: 'identify',
      messageId: 'sample-identify',
      userId: 'user-1',
      timestamp: at,
      traits: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', address: { city: 'London', country: 'GB' }, plan: 'pro', logins: 12 },
    },
  },
  {
    id: 'anonymous-track',
    label: 'anonymous track',
    message: { type: 'track', messageId: 'sample-track', anonymousId: 'anon-1', event: 'Song Played', timestamp: at, properties: { title: 'Blue', seconds: 210 } },
  },
  {
    id: 'order',
    label: 'an order with products',
    message: {
      type: 'track',
      messageId: 'sample-order',
      userId: 'user-1',
      event: 'Order Completed',
      timestamp: at,
      properties: {
        order_id: 'o-1001',
        currency: 'EUR',
        products: [
          { product_id: '507', sku: 'SKU-507', name: 'Monopoly', price: 19.99, quantity: 2 },
          { product_id: '508', sku: 'SKU-508', name: 'Uno', price: 7.5, quantity: 1 },
          { product_id: '509', sku: 'SKU-509', name: 'Go', price: 30, quantity: 1 },
        ],
      },
    },
  },
  { id: 'group', label: 'group', message: { type: 'group', messageId: 'sample-group', userId: 'user-1', groupId: 'acme', timestamp: at, traits: { name: 'Acme', plan: 'enterprise' } } },
  { id: 'page', label: 'page', message: { type: 'page', messageId: 'sample-page', userId: 'user-1', name: 'Pricing', timestamp: at, properties: { path: '/pricing', referrer: 'https://example.com/' } } },
  { id: 'screen', label: 'screen', message: { type: 'screen', messageId: 'sample-screen', anonymousId: 'anon-1', name: 'Home', timestamp: at, properties: { variant: 'b' } } },
  { id: 'alias', label: 'alias', message: { type: 'alias', messageId: 'sample-alias', userId: 'user-1', previousId: 'anon-1', timestamp: at } },
  { id: 'unserved', label: 'a message no rule serves', message: { type: 'heartbeat', messageId: 'sample-unserved', userId: 'user-1', timestamp: at } },
];
