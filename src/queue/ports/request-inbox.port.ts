import { StoreHealth } from './work-queue.port';

/** An accepted HTTP request, as the request path saw it. */
export interface AcceptedRequest {
  /** The endpoint it came to (batch, webhook, track, …), which decides how the body unpacks. */
  readonly source: string;
  /** The body as received, less any write key in it (credentials are never stored). */
  readonly body: Buffer;
  /** Epoch milliseconds; with `idBase`, all that admitting the body again needs besides the plan. */
  readonly receivedAt: number;
  readonly idBase: string;
  /** Indices of the messages refused in the response: they are never delivered. */
  readonly skip: readonly number[];
  /** How many of its messages were accepted. */
  readonly messages: number;
}

/** A stored request, as the expansion reads it back: what the request path stored. */
export type InboxEntry = AcceptedRequest;

/** Where the inbox goes on after a batch: the inbox's own, passed to `WorkQueue.commit` as it is. */
export type InboxPosition = { readonly __brand: 'InboxPosition' };

/**
 * Where accepted requests wait to be made into work. `accept` resolves only once the request
 * is stored (durably, for the durable adapters): the HTTP 200 waits for it.
 */
/**
 * The store has no room for another request: `DISK_FULL` (the embedded store's DATA_DIR) or
 * `QUEUE_FULL` (Redis at its maxmemory). Ingestion answers 503 with this code; what is
 * queued is still delivered, which is what makes room again.
 */
export class StoreFullError extends Error {
  constructor(
    readonly code: 'DISK_FULL' | 'QUEUE_FULL',
    message: string,
  ) {
    super(message);
    this.name = 'StoreFullError';
  }
}

export interface RequestInbox {
  accept(request: AcceptedRequest): Promise<void>;
  /** Down when nothing more can be stored (a failed write that could not be cut back). */
  health(): Promise<StoreHealth>;
}

/**
 * The expansion's side of the inbox: the oldest requests not yet committed as work, in order.
 * An inbox several instances expand gives each reader the oldest it may expand, and its
 * commits may be `Uncommitted` (work-queue.port.ts) until it is their turn.
 */
export interface InboxSource {
  /** Set when `read` itself waits a moment for requests others append: caught up, read again rather than wait to be told of an append. */
  readonly follows?: boolean;
  /** At least one request when any waits, about `maxMessages` messages; none when caught up. */
  read(maxMessages: number): Promise<{ readonly entries: readonly InboxEntry[]; readonly position: InboxPosition }>;
  /** After `WorkQueue.commit` recorded `position`: reads on from there, and lets go of what lies before it. */
  advance(position: InboxPosition): Promise<void>;
}

export const REQUEST_INBOX = Symbol('RequestInbox');
