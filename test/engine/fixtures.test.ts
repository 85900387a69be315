import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMappingSet } from '../../src/engine';

const DIR = join(__dirname, '..', 'fixtures', 'mappings');
const files = (kind: string) => readdirSync(join(DIR, kind)).filter((f) => f.endsWith('.yaml')).sort();

function compileFixture(kind: string, name: string) {
  const text = readFileSync(join(DIR, kind, name), 'utf8');
  return { text, result: compileMappingSet([{ file: name, text }]) };
}

describe('valid fixtures compile cleanly and pass their examples', () => {
  it.each(files('valid'))('%s', (name) => {
    const { result, text } = compileFixture('valid', name);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan).not.toBeNull();
    expect(text).toMatch(/^examples:/m);
  });
});

describe('invalid fixtures report exactly the diagnostics they declare', () => {
  it.each(files('invalid'))('%s', (name) => {
    const { result, text } = compileFixture('invalid', name);
    const expected = [...text.matchAll(/^# expect: (\S+)(?: (\S+))?$/gm)].map(([, code, pointer]) => `${code} ${pointer ?? ''}`.trim());
    expect(expected.length).toBeGreaterThan(0);
    const actual = result.diagnostics.map((d) => `${d.code} ${d.pointer}`.trim());
    expect(actual.sort()).toEqual(expected.sort());
    expect(result.plan).toBeNull();
    for (const d of result.diagnostics) {
      expect(d).toMatchObject({ file: name, severity: 'error' });
      expect(d.line).toBeGreaterThan(0);
      expect(d.col).toBeGreaterThan(0);
      expect(d.message.length).toBeGreaterThan(5);
    }
  });
});
