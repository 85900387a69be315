/**
 * A deterministic, seeded corpus of realistic Segment messages: about 50% identify with a
 * dozen traits, 35% track, 10% Order Completed with 1–5 products, 5% group. `varied` mixes
 * in optional members, loose types and snake_case so that shapes are not monomorphic.
 */
export interface CorpusOptions {
  seed: number;
  varied: boolean;
}

/** A small seeded xorshift generator: the same numbers on every machine. */
export function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus'];
const CITIES = [['Paris', 'FR'], ['Berlin', 'DE'], ['Austin', 'US'], ['Lagos', 'NG'], ['Osaka', 'JP']];
const EVENTS = ['Song Played', 'Product Viewed', 'Signed Up', 'Cart Viewed', 'Search Performed', 'Video Started'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];

export function* corpus(count: number, options: CorpusOptions): Generator<Record<string, unknown>> {
  const random = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const maybe = (p: number) => options.varied && random() < p;
  const base = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const roll = random();
    const user = Math.floor(random() * 50_000);
    const timestamp = new Date(base + i * 1000).toISOString();
    const ids: Record<string, unknown> = maybe(0.2) ? { anonymousId: `anon-${user}` } : { userId: `user-${user}`, ...(maybe(0.3) ? { anonymousId: `anon-${user}` } : {}) };
    const common = { messageId: `m-${options.seed}-${i}`, timestamp, ...ids, context: { library: { name: 'analytics-node', version: '3.1.0' } } };
    if (roll < 0.5) {
      const [city, country] = pick(CITIES);
      const first = pick(FIRST);
      const traits: Record<string, unknown> = {
        [maybe(0.3) ? 'first_name' : 'firstName']: first,
        lastName: 'Doe',
        email: `${first.toLowerCase()}.${user}@example.com`,
        phone: '+15555550100',
        birthday: '1990-05-15',
        gender: pick(['male', 'female', 'Other', 'f']),
        avatar: `https://cdn.example.com/u/${user}.png`,
        address: { city, country, street: '1 Main St', postalCode: '10001' },
        plan: pick(PLANS),
        logins: Math.floor(random() * 100),
        createdAt: '2023-06-01T00:00:00Z',
        company: { name: 'Acme', employee_count: 50 },
      };
      if (maybe(0.3)) traits.vip = true;
      if (maybe(0.2)) traits.nickname = null;
      if (maybe(0.2)) traits[`pref_${pick(['email', 'push', 'sms'])}`] = random() < 0.5;
      yield { type: 'identify', ...common, traits };
    } else if (roll < 0.85) {
      const properties: Record<string, unknown> = { title: `Item ${user % 97}`, value: Math.round(random() * 1000) / 10, category: pick(PLANS) };
      if (maybe(0.3)) properties.revenue = String(Math.round(random() * 100));
      if (maybe(0.3)) properties.tags = ['a', 'b'];
      yield { type: 'track', ...common, event: pick(EVENTS), properties };
    } else if (roll < 0.95) {
      const products = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, p) => {
        const product: Record<string, unknown> = { product_id: `sku-${p}-${user % 31}`, sku: `SKU${p}`, name: `Product ${p}`, price: Math.round(random() * 10000) / 100, quantity: 1 + Math.floor(random() * 3), category: 'Games' };
        if (maybe(0.3)) product.price = String(product.price);
        if (maybe(0.2)) product.currency = 'eur';
        return product;
      });
      yield { type: 'track', ...common, event: maybe(0.3) ? 'Completed Order' : 'Order Completed', properties: { order_id: `o-${i}`, total: 10, currency: 'usd', products } };
    } else {
      yield { type: 'group', ...common, groupId: `g-${user % 200}`, traits: { name: 'Acme', industry: 'Tech' } };
    }
  }
}
