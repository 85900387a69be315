import { TRANSFORM_FAILED, TRANSFORMS } from '../../src/engine/transforms';

const F = TRANSFORM_FAILED;
const apply = (name: string, value: unknown) => TRANSFORMS[name].apply(value);

describe.each([
  ['string', [['a', 'a'], [123, '123'], [true, 'true'], [{}, F], [[1], F]]],
  ['number', [[19.99, 19.99], ['19.99', 19.99], [' 7 ', 7], ['-.5', -0.5], ['', F], ['abc', F], [Infinity, F], [true, F], ['1e3', 1000], ['0x10', F], ['0b11', F], ['1_000', F]]],
  ['nonempty', [['x', 'x'], ['', F], ['  ', F], [0, 0], [false, false]]],
  ['currency', [['eur', 'EUR'], [' usd ', 'USD'], ['EURO', F], ['', F], [5, F], ['e1r', F]]],
  ['object', [[{ a: 1 }, { a: 1 }], [[], F], ['x', F], [1, F]]],
  ['integer', [['2', 2], [3, 3], ['2.0', 2], [2.5, F], ['x', F]]],
  ['lowercase', [['AbC', 'abc'], [1, F]]],
  ['uppercase', [['usd', 'USD'], [1, F]]],
  ['trim', [['  x ', 'x'], [1, F]]],
  ['gender', [['male', 'M'], ['Man', 'M'], ['m', 'M'], ['FEMALE', 'F'], ['woman', 'F'], ['w', 'F'], ['f', 'F'], ['Other', 'O'], ['o', 'O'], ['not applicable', 'N'], ['Not  Applicable', 'N'], ['n', 'N'], ['prefer not to say', 'P'], ['p', 'P'], ['robot', F], [1, F]]],
  ['date', [['1990-05-15', '1990-05-15'], ['1990-05-15T23:30:00-05:00', '1990-05-16'], ['1990-05-15T01:00:00+02:00', '1990-05-14'], ['1990-05-15T12:00:00', '1990-05-15'], [0, '1970-01-01'], ['May 15, 1990', F], ['2023-02-30', F], ['1990-13-01', F], [null, F]]],
  ['iso8601', [['2024-03-01T12:00:00+01:00', '2024-03-01T11:00:00.000Z'], ['2024-03-01T12:00:00Z', '2024-03-01T12:00:00.000Z'], ['2024-03-01 12:00:00', '2024-03-01T12:00:00.000Z'], ['2024-03-01T12:00:00.123456Z', '2024-03-01T12:00:00.123Z'], ['2024-03-01T12:00:00+0530', '2024-03-01T06:30:00.000Z'], ['2024-03-01', '2024-03-01T00:00:00.000Z'], [1709294400000, '2024-03-01T12:00:00.000Z'], [1e21, F], [NaN, F], ['yesterday', F], [{}, F]]],
] as [string, [unknown, unknown][]][])('transform %s', (name, cases) => {
  it.each(cases)('%j → %p', (input, output) => {
    expect(apply(name, input)).toEqual(output);
  });
});

describe('calendar dates do not depend on the server time zone', () => {
  const original = process.env.TZ;
  afterAll(() => {
    process.env.TZ = original;
  });

  it.each(['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kolkata'])('TZ=%s', (zone) => {
    process.env.TZ = zone;
    expect(apply('date', '1990-05-15T23:30:00-05:00')).toBe('1990-05-16');
    expect(apply('date', '1990-05-15')).toBe('1990-05-15');
    expect(apply('iso8601', '2024-03-01T12:00:00')).toBe('2024-03-01T12:00:00.000Z');
  });
});

describe('the integer-arithmetic date paths agree with Date', () => {
  it('on 20,000 instants from year 1 to 9999, both directions', () => {
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const min = Date.UTC(1, 0, 1);
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20000; i++) {
      const ms = Math.floor(min + random() * (max - min));
      const iso = new Date(ms).toISOString();
      expect(apply('iso8601', ms)).toBe(iso);
      expect(apply('iso8601', iso)).toBe(iso);
      expect(apply('iso8601', iso.slice(0, 19) + 'Z')).toBe(iso.slice(0, 19) + '.000Z');
      expect(apply('date', ms)).toBe(iso.slice(0, 10));
      expect(apply('date', iso.slice(0, 10))).toBe(iso.slice(0, 10));
    }
  });

  it.each(['2024-02-30', '2023-02-29', '2024-04-31', '2024-00-10', '2024-01-01T24:00:00Z', '2024-01-01T23:60:00.000Z', '2024-01-01T00:00:00.00aZ', '2024-01-01X00:00:00Z'])('refuses %s', (text) => {
    expect(apply('iso8601', text)).toBe(F);
  });

  it('accepts leap days that exist', () => {
    expect(apply('date', '2024-02-29')).toBe('2024-02-29');
    expect(apply('date', '2000-02-29T10:00:00.000Z')).toBe('2000-02-29');
  });
});
