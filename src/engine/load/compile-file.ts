import { FindingSink, pointerJoin } from '../diagnostics';
import { compileRule, CompiledRule } from '../rule';
import { Example } from './examples';
import { isJsonObject } from '../json';

export interface CompiledFile {
  readonly rules: CompiledRule[];
  /** Where each rule's name sits, for duplicate-name diagnostics. */
  readonly rulePointers: string[];
  readonly identity: Record<string, unknown> | undefined;
  readonly examples: { example: Example; pointer: string }[];
}

/** Compiles what the schema let through; wrong shapes were reported by it and are skipped. */
export function compileFile(document: unknown, file: string, sink: FindingSink): CompiledFile {
  const root = isJsonObject(document) ? document : {};
  const rules: CompiledRule[] = [];
  const rulePointers: string[] = [];
  (Array.isArray(root.rules) ? root.rules : []).forEach((raw, i) => {
    const pointer = pointerJoin('/rules', i);
    const rule = compileRule(raw, pointer, file, sink);
    if (rule) {
      rules.push(rule);
      rulePointers.push(pointerJoin(pointer, 'name'));
    }
  });
  const examples = (Array.isArray(root.examples) ? root.examples : []).flatMap((e, i) =>
    isJsonObject(e) && typeof e.name === 'string' && isJsonObject(e.expect) ? [{ example: e as unknown as Example, pointer: pointerJoin('/examples', i) }] : [],
  );
  return { rules, rulePointers, identity: isJsonObject(root.identity) ? root.identity : undefined, examples };
}
