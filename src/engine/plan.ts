import { IdentityResolver } from './identity';
import { CompiledRule } from './rule';

/** A whole mapping set, compiled and frozen: the only thing the request path touches. */
export interface MappingPlan {
  readonly rules: readonly CompiledRule[];
  readonly identify: IdentityResolver;
}
