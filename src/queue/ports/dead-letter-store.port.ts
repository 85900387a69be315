import { WorkObject } from './work-queue.port';

export interface DeadLetter {
  /** The record number the CLI shows and takes. */
  readonly id: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly endpoint: string;
  readonly array: string;
  readonly object: Record<string, unknown>;
  readonly reason: string;
  readonly status: number | null;
  readonly attempts: number;
  readonly failedAt: string;
}

/** A dead letter as a replay sees it: where its object sat, and the Segment message it came from (null when not stored). */
export interface StoredDeadLetter extends DeadLetter {
  readonly position: number;
  readonly message: unknown;
}

/** What a replay puts back instead of the stored object: the objects a mapping makes now, or why it makes none. */
export type Remap = (letter: StoredDeadLetter) => readonly WorkObject[] | string;

export interface ReplayResult {
  replayed: number;
  /** Dead letters not replayed, and why. */
  skipped: { id: number; reason: string }[];
}

/** Failed work, kept to be inspected, replayed (at the queue's end) or purged. */
export interface DeadLetterStore {
  list(limit: number, offset?: number): Promise<{ total: number; items: DeadLetter[] }>;
  /** With the Segment message it came from (null when not stored). */
  show(id: number): Promise<(DeadLetter & { readonly message: unknown }) | undefined>;
  /** Without `remap`, each object as stored; a dead letter that never became an object (`unmapped`) needs one. */
  replay(ids: readonly number[] | 'all', remap?: Remap): Promise<ReplayResult>;
  purge(ids: readonly number[] | 'all'): Promise<number>;
}

export const DEAD_LETTER_STORE = Symbol('DeadLetterStore');
