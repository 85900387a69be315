import { BrazeRequest } from '../engine';

/** One Braze object waiting for delivery: the unit that is leased, sent, retried or dead-lettered. */
export interface WorkItem {
  readonly id: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly endpoint: BrazeRequest['endpoint'];
  /** The request array it goes in: attributes, events, purchases, aliases_to_identify, user_aliases. */
  readonly array: string;
  /** Request-level members (merge_behavior for /users/identify). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly object: Readonly<Record<string, unknown>>;
  /** Its place among the message's objects of the same array, for re-mapping on replay. */
  readonly position: number;
  readonly attempts: number;
  /** For /users/identify: the external_id/alias pair, so a pair merged once is not merged again. */
  readonly mergeKey: string | null;
}

export interface DeadLetter {
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

export interface QueueStats {
  /** Accepted messages whose request is still in the inbox, not yet made into objects. */
  readonly inboxMessages: number;
  readonly pending: number;
  readonly leased: number;
  readonly oldestPendingAgeMs: number;
  readonly deadLetters: number;
}

/** The endpoint of a dead letter that never became a Braze object: the mapping refused its message. */
export const UNMAPPED = 'unmapped';

/** The key of an identify entry: merging the same pair twice only burns Braze's lower limit. */
export function mergeKeyOf(endpoint: string, object: Record<string, unknown>): string | null {
  if (endpoint !== '/users/identify') return null;
  const alias = object.user_alias as { alias_name?: unknown; alias_label?: unknown } | undefined;
  if (typeof object.external_id !== 'string' || !alias) return null;
  return JSON.stringify([object.external_id, alias.alias_name, alias.alias_label]);
}
