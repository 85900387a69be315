import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { referenceMarkdown, schemaJson } from '../../src/tools/reference-docs';

const ROOT = join(__dirname, '..', '..');

describe('generated artefacts stay in step with the code (run `npm run schema`)', () => {
  it('mappings/schema.json', () => {
    expect(readFileSync(join(ROOT, 'mappings', 'schema.json'), 'utf8')).toBe(schemaJson());
  });

  it('docs/mapping-reference.md', () => {
    expect(readFileSync(join(ROOT, 'docs', 'mapping-reference.md'), 'utf8')).toBe(referenceMarkdown());
  });

  it('the committed schema accepts the default mapping and is usable by any draft-07 validator', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'mappings', 'schema.json'), 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(parse(readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8')))).toBe(true);
    expect(validate({ version: 1, rules: [{ name: 'r', evnts: {} }] })).toBe(false);
  });

  it('the default mapping points editors at the schema', () => {
    expect(readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/schema\.json$/m);
  });
});
