import { FindingSink, pointerJoin } from './diagnostics';
import { compileCondition } from './logic/compile-logic';
import { isTypeTest, requiredTypes } from './logic/type-guard';
import { compileOutput, CompiledOutput } from './output';
import { OUTPUT_KINDS, OutputKindName } from './output-kinds';
import { isJsonObject } from './json';

export interface CompiledRule {
  readonly name: string;
  readonly file: string;
  /** Null when the rule takes every message of its `types`: no condition, or only a type test. */
  readonly when: ((message: unknown) => boolean) | null;
  /** The `when` as written, for traces: what a rule that did not match was asking. */
  readonly condition: unknown;
  /** Later rules are not considered once this one matched. */
  readonly stop: boolean;
  /** The only message types `when` can accept, when its shape says so; null otherwise. */
  readonly types: readonly string[] | null;
  readonly outputs: readonly CompiledOutput[];
}

export function compileRule(raw: unknown, pointer: string, file: string, sink: FindingSink): CompiledRule | null {
  if (!isJsonObject(raw)) return null;
  const name = typeof raw.name === 'string' ? raw.name : '';
  const outputs: CompiledOutput[] = [];
  // Outputs run in the order the YAML lists them, which is also the order of the requests.
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(OUTPUT_KINDS, key) || !isJsonObject(raw[key])) continue;
    outputs.push(compileOutput(key as OutputKindName, raw[key] as Record<string, unknown>, pointerJoin(pointer, key), name, sink));
  }
  if (outputs.length === 0 && !Object.keys(raw).some((k) => Object.hasOwn(OUTPUT_KINDS, k))) {
    sink.error('RULE_WITHOUT_OUTPUT', pointer, `a rule emits at least one of: ${Object.keys(OUTPUT_KINDS).join(', ')}`);
  }
  if (raw.when === null) sink.error('INVALID_CONDITION', pointerJoin(pointer, 'when'), '"when" is empty: write a condition, or leave the key out to match every message');
  const when = raw.when === undefined || raw.when === null ? null : compileCondition(raw.when, pointerJoin(pointer, 'when'), sink);
  return Object.freeze({
    name,
    file,
    // A rule reaches a message only through plan.rulesFor(type), so a bare type test is already true.
    when: isTypeTest(raw.when) ? null : when,
    condition: raw.when ?? null,
    stop: raw.stop === true,
    types: raw.when === undefined ? null : requiredTypes(raw.when),
    outputs: Object.freeze(outputs),
  });
}
