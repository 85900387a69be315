/** The /users/identify pairs Braze has merged: merging one twice only burns the endpoint's lower limit. */
export interface MergeMemory {
  /** Which of `keys` were merged before; one call per round, not per object. */
  merged(keys: readonly string[]): Promise<ReadonlySet<string>>;
  remember(keys: readonly string[]): Promise<void>;
}

export const MERGE_MEMORY = Symbol('MergeMemory');
