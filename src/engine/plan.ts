import { IdentityResolver } from './identity';
import { CompiledRule } from './rule';

/** A whole mapping set, compiled and frozen: the only thing the request path touches. */
export interface MappingPlan {
  readonly rules: readonly CompiledRule[];
  readonly identify: IdentityResolver;
  /** The rules that can match a message of this type, in order; conditions still decide. */
  rulesFor(type: string): readonly CompiledRule[];
}

/** Indexes rules by the message types their conditions admit, so most are never evaluated. */
export function createPlan(rules: readonly CompiledRule[], identify: IdentityResolver): MappingPlan {
  const anyType = Object.freeze(rules.filter((r) => r.types === null));
  const byType = new Map<string, readonly CompiledRule[]>();
  for (const type of new Set(rules.flatMap((r) => r.types ?? []))) {
    byType.set(type, Object.freeze(rules.filter((r) => r.types === null || r.types.includes(type))));
  }
  return Object.freeze({
    rules: Object.freeze([...rules]),
    identify,
    rulesFor: (type: string) => byType.get(type) ?? anyType,
  });
}
