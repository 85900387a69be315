import { compilePath, parsePath } from '../../src/engine/path';

describe('parsePath', () => {
  it.each([
    ['traits.email', 'message', ['traits', 'email']],
    ['properties.products[0].price', 'message', ['properties', 'products', '0', 'price']],
    ['properties.products.0', 'message', ['properties', 'products', '0']],
    ['$item.sku', 'item', ['sku']],
    ['$item', 'item', []],
    ['$item[2]', 'item', ['2']],
    ['traits.Product Name', 'message', ['traits', 'Product Name']],
  ])('parses %s', (text, scope, segments) => {
    expect(parsePath(text)).toEqual({ ok: true, scope, segments });
  });

  it.each([
    ['', /empty/],
    ['a..b', /empty segment/],
    ['.a', /empty segment/],
    ['a.', /must not end/],
    [' a', /white space/],
    ['a[x]', /unexpected/],
    ['a[0', /unexpected/],
    ['a]', /unexpected/],
    ['$items.a', /unknown scope "\$items"/],
    ['traits.__proto__', /not allowed/],
    ['constructor', /not allowed/],
  ])('rejects %j', (text, reason) => {
    const parsed = parsePath(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('compiled getters', () => {
  const message = { traits: { address: { city: 'Paris' }, list: [{ a: 1 }] }, nil: null };

  it.each([
    ['traits.address.city', 'Paris'],
    ['traits.list[0].a', 1],
    ['traits.list.0.a', 1],
    ['traits.address.zip', undefined],
    ['nil', null],
    ['nil.deeper', undefined],
    ['traits.toString', undefined],
    ['traits.address.city.length', undefined],
  ])('%s → %j', (text, expected) => {
    const path = compilePath(text);
    if ('error' in path) throw new Error(path.error);
    expect(path.get(message)).toBe(expected);
  });
});

describe('generated getters', () => {
  it('embed segment names as string literals, so odd names are data, not code', () => {
    const names = ['a"b', "c'd", 'e\\f', '`${process.exit(1)}`', 'x\ny', ' spaced '.trim()];
    for (const name of names) {
      const path = compilePath(`root.${name.replace(/[.[\]]/g, '')}`);
      if ('error' in path) continue;
      const key = path.segments[1];
      expect(path.get({ root: { [key]: 42 } })).toBe(42);
    }
  });
});
