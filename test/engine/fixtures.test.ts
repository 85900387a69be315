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

describe('hostile YAML', () => {
  it('a file that expands too many aliases is a diagnostic, not a crash', () => {
    const lines = ['version: 1', 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    const text = lines.join('\n') + '\nrules: []\n';
    const result = compileMappingSet([{ file: 'laughs.yaml', text }]);
    expect(result.plan).toBeNull();
    expect(result.diagnostics.map((d) => d.code)).toContain('YAML_SYNTAX');
  });

  it.each(['', '42', '- a\n- b', '~', 'version: 1\n---\nversion: 1\n'])('%j gives diagnostics, not an exception', (text) => {
    const result = compileMappingSet([{ file: 'odd.yaml', text }]);
    expect(result.plan).toBeNull();
    expect(result.diagnostics.length).toBeGreaterThan(0);
  });
});
