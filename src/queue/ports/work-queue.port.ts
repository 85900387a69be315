import { BrazeRequest, ChangesOnly, MapWarning } from '../../engine';
import { InboxPosition } from './request-inbox.port';
import { WakeUp } from './wake-up.port';

/** A Braze object's id in the queue: opaque, compared and passed back, never parsed. */
export type WorkId = string & { readonly __brand: 'WorkId' };

/** One accepted message and the Braze work it maps to. */
export interface QueuedMessage {
  readonly messageId: string;
  /** The service gave the message its id (it came without one): no retry can repeat it, so it needs no deduplication. */
  readonly generatedId?: boolean;
  /** Whose updates must stay in order: the userId, else the anonymousId. */
  readonly userKey: string;
  readonly receivedAt: string;
  readonly requests: readonly BrazeRequest[];
  readonly warnings: readonly MapWarning[];
  /** The enriched Segment message, kept so failed work can be re-mapped after a fix. */
  readonly message?: unknown;
  /** Set when the mapping made no request of the message: why, as a code of src/ingest/drop-codes.ts, for the dropped-messages count. */
  readonly dropCode?: string;
}

/** A message that was acknowledged but cannot be made into Braze work now (the mapping changed in between, say): a dead letter. */
export interface Refusal {
  readonly index: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly code: string;
  readonly message: string;
  readonly payload: unknown;
}

/** Stored requests made into work, already mapped: committed whole, with how far the inbox has been read, or not at all. */
export interface MappedBatch {
  readonly messages: readonly QueuedMessage[];
  readonly refused: readonly Refusal[];
  /** Where the inbox goes on after these requests; absent for work written without the inbox (replay, tests). */
  readonly inboxPosition?: InboxPosition;
}

export interface CommitResult {
  /** Messages new within the deduplication window (whether or not they made objects). */
  readonly accepted: number;
  readonly duplicates: number;
  /** The drop codes of the new messages that made no object, one per message. */
  readonly dropped: readonly string[];
}

/**
 * A batch with an inbox position that was not committed: nothing of it was written. Only an
 * inbox that several instances expand at once answers so (a single reader's batch is always
 * its turn and always its own).
 * - `behind`: an older request is still being expanded elsewhere, and a user's work must be
 *   committed in acceptance order: commit the same batch again shortly.
 * - `reread`: the batch's requests are no longer this reader's as it read them (another
 *   instance took them over, or this one took over older ones): read the inbox again.
 */
export interface Uncommitted {
  readonly uncommitted: 'behind' | 'reread';
}

/** One Braze object of a mapped message, as it is queued. */
export interface WorkObject {
  readonly endpoint: BrazeRequest['endpoint'];
  readonly array: string;
  /** Request-level members (merge_behavior); null when there are none. */
  readonly options: Readonly<Record<string, unknown>> | null;
  readonly object: Readonly<Record<string, unknown>>;
  /** Counted per endpoint and array across all of a message's requests (an order over 75 products spans several), so a re-mapped dead letter finds its object again. */
  readonly position: number;
  readonly mergeKey: string | null;
  /** When the message happened (epoch ms, its corrected `timestamp`); null when it had none. For the stale-update guard. */
  readonly eventTime: number | null;
  /** Send only the attributes that changed, except `alwaysSent`; null: send everything (the attribute memory is not consulted). */
  readonly changesOnly: ChangesOnly | null;
}

/** How an attributes object is compared with what Braze accepted before: the mapping's word (src/engine/changes-only.ts). */
export type { ChangesOnly } from '../../engine';

/** One Braze object waiting for delivery: the unit that is leased, sent, retried or dead-lettered. */
export interface WorkItem {
  readonly id: WorkId;
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
  /** As queued (WorkObject): the message's event time, for the stale-update guard. */
  readonly eventTime: number | null;
  /** As queued (WorkObject): whether only changed attributes are sent. */
  readonly changesOnly: ChangesOnly | null;
}

/**
 * The request an object goes in: objects with the same key may share one Braze request,
 * objects with different keys never do (the endpoint, and its request-level options).
 */
export function requestKeyOf(item: Pick<WorkItem, 'endpoint' | 'options'>): string {
  return `${item.endpoint} ${JSON.stringify(item.options)}`;
}

/** How much one lease may take; how much of that goes in one request is delivery's policy, passed here. */
export interface LeaseLimits {
  readonly limit: number;
  /** At most this many objects of one user. */
  readonly perUser: number;
  /**
   * Stop each user's run at the first object that could not go in the same request as the
   * run's first (another `requestKeyOf`): a consumer that sends a round's requests
   * concurrently must not hold two requests of one user.
   */
  readonly oneRequestPerUser: boolean;
}

/** Objects held by one owner until `expiresAt` (epoch ms), unless extended before then. */
export interface Lease {
  readonly id: string;
  readonly owner: string;
  readonly expiresAt: number;
  readonly items: readonly WorkItem[];
}

/** How a round ended, for every object of its lease: what is named nowhere goes back to the queue, unchanged. */
export interface Settlement {
  /** Delivered (or skipped as already done): gone from the queue. */
  readonly ack?: readonly WorkId[];
  /** Back in the queue with one more attempt, not leased before `notBefore` (epoch ms). */
  readonly retry?: readonly { readonly id: WorkId; readonly notBefore: number }[];
  /** Held back, not failed (its endpoint is paused): back in the queue with its attempts unchanged, not leased before `notBefore` (epoch ms). */
  readonly defer?: readonly { readonly id: WorkId; readonly notBefore: number }[];
  readonly deadLetter?: readonly { readonly id: WorkId; readonly reason: string; readonly status: number | null }[];
}

/** `settled: false`: the lease had expired (another owner may hold its objects now); nothing of the settlement was applied. */
export type SettleResult = { readonly settled: true } | { readonly settled: false; readonly reason: string };

export interface QueueStats {
  /** Accepted messages whose request is still in the inbox, not yet made into objects. */
  readonly inboxMessages: number;
  readonly pending: number;
  readonly leased: number;
  readonly oldestPendingAgeMs: number;
  readonly deadLetters: number;
}

export type StoreHealth = { readonly up: true } | { readonly up: false; readonly error: string };

/**
 * The queue of Braze objects between the expansion and delivery.
 *
 * **Per-user order.** A user's objects are leased in the order they were accepted, and none
 * is leased while an earlier one of that user is in flight (leased) or waiting to retry.
 * Within one lease, a user's objects form one run in that order (at most `perUser`, and
 * one request's worth with `oneRequestPerUser`).
 *
 * **Leases.** A lease belongs to its owner (an instance) until `expiresAt`; `extend` moves
 * that on while its requests are in flight. From `expiresAt` on it is nobody's: `extend`
 * and `settle` are refused, whether or not it was swept yet (a backend whose leases expire
 * by themselves, keys with a TTL, cannot tell the difference), and its objects may be leased
 * by any owner, in their places: at once, or once `sweep` has given them back. A settlement
 * of a lease that is no longer its owner's is refused whole and says so: an object is never
 * settled twice.
 */
export interface WorkQueue {
  /**
   * Claims each message id for the deduplication window, stores the new messages' objects and
   * the refusals as dead letters, and records the inbox position: all in one step, or nothing
   * of it when it fails or is not the batch's turn (`Uncommitted`, only with an inbox position).
   */
  commit(batch: MappedBatch): Promise<CommitResult | Uncommitted>;
  /** Up to `limit` eligible objects in queue order, within `limits` per user; an empty lease holds nothing. */
  lease(owner: string, limits: LeaseLimits, ttlMs: number): Promise<Lease>;
  /** False when the lease is gone (expired, swept or settled): its owner must stop counting on it. */
  extend(lease: Lease, ttlMs: number): Promise<boolean>;
  /**
   * Acks, retries and dead letters of one lease in one step; every other object the lease
   * holds (as stored, whatever `lease.items` lists) goes back to the queue in its place,
   * unchanged. Ids the lease does not hold are ignored.
   */
  settle(lease: Lease, settlement: Settlement): Promise<SettleResult>;
  /** Gives expired leases' objects back to the queue; how many objects. */
  sweep(): Promise<number>;
  /** Forgets deduplication claims older than the window. */
  prune(): Promise<number>;
  /** Heard whenever new work has committed, whoever committed it. */
  readonly wakeUp: WakeUp;
  stats(): Promise<QueueStats>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export const WORK_QUEUE = Symbol('WorkQueue');
export const DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;
