import { BrazeRequest, MapWarning } from '../engine';

/** One accepted message and the Braze work it maps to. */
export interface QueuedMessage {
  readonly messageId: string;
  /** Whose updates must stay in order: the userId, else the anonymousId. */
  readonly userKey: string;
  readonly receivedAt: string;
  readonly requests: readonly BrazeRequest[];
  readonly warnings: readonly MapWarning[];
  /** The enriched Segment message, kept so failed work can be re-mapped after a fix. */
  readonly message?: unknown;
}

export interface EnqueueResult {
  readonly accepted: number;
  /** messageIds seen before (within the deduplication window): not queued again. */
  readonly duplicates: readonly string[];
}

/**
 * The queue between ingestion and delivery. `enqueue` resolves only once the messages are
 * stored (durably, for the durable adapters): the HTTP 200 waits for it.
 */
export interface DeliveryQueue {
  enqueue(messages: readonly QueuedMessage[]): Promise<EnqueueResult>;
}

export const DELIVERY_QUEUE = Symbol('DeliveryQueue');
export const DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;
