/**
 * What Braze last accepted of each user's attributes, so unchanged values need not be sent
 * again (Braze writes, and on older contracts bills, every attribute it receives). Keyed by
 * the user's Braze identifier (`identityKeyOf`) and the attribute's top-level name.
 *
 * Only values Braze accepted are remembered: an object refused in `errors[]`, by a 400, or
 * dead-lettered is not. Entries expire `ttlMs` after they were written (default 30 days), so
 * every value is sent again at least that often; an expired entry is recalled as absent.
 * Rule of thumb for every adapter: when in doubt, recall nothing (the value is sent).
 */
export interface RememberedAttribute {
  /** A compact fingerprint of the value (canonical JSON: object key order ignored). */
  readonly fingerprint: string;
  /** The event time (epoch ms) of the message that set it; null when the message had none. */
  readonly eventTime: number | null;
}

/** One user's attributes Braze accepted in a settled round. */
export interface AcceptedAttributes {
  readonly user: string;
  readonly attributes: ReadonlyMap<string, RememberedAttribute>;
}

export interface AttributeMemory {
  /** The unexpired entries of these users; one call per round, not per object. Users with none are absent. */
  recall(users: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>>>;
  /**
   * After Braze accepted a round. An entry is replaced unless the one remembered has a later
   * event time (a late message cannot make an older value the remembered one).
   */
  remember(accepted: readonly AcceptedAttributes[]): Promise<void>;
  /** Forgets these users wholly (an alias merged into a known user, an operator's `memory forget`). */
  forget(users: readonly string[]): Promise<void>;
  /** Forgets everyone; answers how many users were forgotten. */
  forgetAll(): Promise<number>;
  /** How many users have at least one entry (expired entries not yet swept may be counted). */
  users(): Promise<number>;
}

export const ATTRIBUTE_MEMORY_STORE = Symbol('AttributeMemory');
