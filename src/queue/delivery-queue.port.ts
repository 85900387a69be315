import { BrazeRequest, MapWarning } from '../engine';

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

/** An accepted HTTP request, as the request path saw it. */
export interface AcceptedRequest {
  /** The endpoint it came to (batch, webhook, track, …), which decides how the body unpacks. */
  readonly source: string;
  /** The body exactly as received. */
  readonly body: Buffer;
  /** Epoch milliseconds; with `idBase`, all that admitting the body again needs besides the plan. */
  readonly receivedAt: number;
  readonly idBase: string;
  /** Indices of the messages refused in the response: they are never delivered. */
  readonly skip: readonly number[];
  /** How many of its messages were accepted. */
  readonly messages: number;
}

/**
 * The queue between ingestion and delivery. `accept` resolves only once the request is
 * stored (durably, for the durable adapters): the HTTP 200 waits for it. The Braze work is
 * made from the stored body later, off the request path (see src/ingest/inbox-expander.ts).
 */
export interface DeliveryQueue {
  accept(request: AcceptedRequest): Promise<void>;
}

export const DELIVERY_QUEUE = Symbol('DeliveryQueue');
export const DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;
