import { TRANSFORM_FAILED, TRANSFORMS } from '../../src/engine/transforms';

const F = TRANSFORM_FAILED;
const apply = (name: string, value: unknown) => TRANSFORMS[name].apply(value);

describe.each([
  ['string', [['a', 'a'], [123, '123'], [true, 'true'], [{}, F], [[1], F]]],
  ['number', [[19.99, 19.99], ['19.99', 19.99], [' 7 ', 7], ['', F], ['abc', F], [Infinity, F], [true, F], ['1e3', 1000]]],
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
