import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMappingSet, MappingPlan, MapResult, mapMessage } from '../../src/engine';

export const ROOT = join(__dirname, '..', '..');

/** Compiles YAML text (one file) and fails the test loudly if it has errors. */
export function planOf(yaml: string, file = 'test.yaml'): MappingPlan {
  const result = compileMappingSet([{ file, text: yaml }]);
  if (!result.plan) throw new Error('mapping did not compile:\n' + result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.pointer} ${d.message}`).join('\n'));
  return result.plan;
}

export function codesOf(yaml: string): string[] {
  return compileMappingSet([{ file: 'test.yaml', text: yaml }]).diagnostics.map((d) => d.code);
}

export function defaultPlan(): MappingPlan {
  return planOf(readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8'), 'mappings/braze.yaml');
}

/** Maps and returns the first request body's first object of `array`, asserting success. */
export function firstObject(result: MapResult, array: string): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  const request = result.requests.find((r) => Array.isArray(r.body[array]));
  if (!request) throw new Error(`no request carries ${array}: ${JSON.stringify(result.requests)}`);
  return (request.body[array] as Record<string, unknown>[])[0];
}

export { mapMessage };

/** A one-rule mapping whose attributes output has the given fields (YAML flow text). */
export function attributesRule(fields: string, extra = ''): string {
  return `version: 1\nrules:\n  - name: r\n    attributes:\n      fields: ${fields}\n${extra}`;
}
