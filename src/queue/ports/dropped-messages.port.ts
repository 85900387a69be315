/** An accepted message the mapping made nothing of, on purpose: kept so that an operator can see which, and why. */
export interface DroppedRecord {
  /** The record number the CLI shows and takes. */
  readonly id: number;
  readonly at: string;
  readonly messageId: string;
  readonly userKey: string;
  /** Why, as a code of src/ingest/drop-codes.ts (EACH_EMPTY, ALL_ITEMS_SKIPPED, NO_OBJECTS). */
  readonly code: string;
  /** The enriched Segment message. */
  readonly message: unknown;
}

/**
 * The messages dropped on purpose, the most recent 10,000: written by the work queue's
 * commit, in the same transaction that counts them, and read here.
 */
export interface DroppedMessages {
  /** The most recent `limit` records, most recent first, how many are kept, and how many of them each code accounts for. */
  list(limit: number): Promise<{ total: number; byCode: Readonly<Record<string, number>>; items: DroppedRecord[] }>;
  show(id: number): Promise<DroppedRecord | undefined>;
  purge(ids: readonly number[] | 'all'): Promise<number>;
}
