import { isJsonObject } from './json';
import { parsePath, readSegments } from './path';
import { MappingPlan } from './plan';
import { CompiledRule } from './rule';

/** A rule that did not serve a message, and why: for the trace, never for the request path. */
export interface UnmatchedRule {
  readonly name: string;
  readonly file: string;
  /** `condition`: its `when` was false; `not-reached`: an earlier rule stopped the run, or failed. Rules whose `when` admits no message of this type are not listed. */
  readonly reason: 'condition' | 'not-reached';
  /** The `when` as written (reason `condition`). */
  readonly condition?: unknown;
  /** What each `var` of the condition read in this message; absent members are null, as json-logic reads them. */
  readonly saw?: Record<string, unknown>;
}

/** The `var` paths a json-logic condition reads, in order, once each. */
export function varsOf(condition: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(condition)) for (const c of condition) varsOf(c, into);
  else if (isJsonObject(condition)) {
    for (const [operator, args] of Object.entries(condition)) {
      const first = Array.isArray(args) ? args[0] : args;
      if (operator === 'var' && typeof first === 'string') into.add(first);
      else varsOf(args, into);
    }
  }
  return into;
}

function read(message: unknown, path: string): unknown {
  const parsed = parsePath(path);
  const value = parsed.ok ? readSegments(message, parsed.segments) : undefined;
  return value === undefined ? null : value;
}

export function unmatchedByCondition(rule: CompiledRule, message: unknown): UnmatchedRule {
  const saw: Record<string, unknown> = {};
  for (const path of varsOf(rule.condition)) saw[path] = read(message, path);
  return { name: rule.name, file: rule.file, reason: 'condition', condition: rule.condition, saw };
}

/** The rules that could have served a message of this type but were never evaluated. */
export function unreachedRules(plan: MappingPlan, type: string, evaluated: ReadonlySet<string>): UnmatchedRule[] {
  return plan
    .rulesFor(type)
    .filter((rule) => !evaluated.has(rule.name))
    .map((rule) => ({ name: rule.name, file: rule.file, reason: 'not-reached' }));
}
