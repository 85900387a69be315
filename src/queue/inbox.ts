import { AcceptedRequest, QueuedMessage } from './delivery-queue.port';

/** A stored request, as the expansion reads it back: what the request path stored. */
export type InboxEntry = AcceptedRequest;

/** A message that was acknowledged but cannot be made into Braze work now (the mapping changed in between, say). */
export interface Refusal {
  readonly index: number;
  readonly messageId: string;
  readonly userKey: string;
  readonly code: string;
  readonly message: string;
  readonly payload: unknown;
}

/** What one stored request maps to now: its queued messages, its refusals, and the objects made, for the metrics. */
export interface MappedRequest {
  readonly messages: readonly QueuedMessage[];
  readonly refused: readonly Refusal[];
  /** Braze objects made, by array name (attributes, events, …), for the metrics. */
  readonly objects: ReadonlyMap<string, number>;
}

export interface ExpandResult {
  readonly requests: number;
  readonly messages: number;
  readonly duplicates: number;
  readonly refused: number;
  /** Messages that made no Braze work and were neither duplicates nor refused, counted by drop code. */
  readonly dropped: readonly (readonly [string, number])[];
}

export const NOTHING_EXPANDED: ExpandResult = Object.freeze({ requests: 0, messages: 0, duplicates: 0, refused: 0, dropped: Object.freeze([]) });

/** The index of a refusal that stands for its whole request. */
export const WHOLE_REQUEST = -1;

/** A body that cannot be admitted again at all (it could be, when it was answered) is kept whole as one refusal. */
export function expandSafely(entry: InboxEntry, expansionOf: (entry: InboxEntry) => MappedRequest): MappedRequest {
  try {
    return expansionOf(entry);
  } catch (error) {
    const message = `the stored request could not be read again: ${error instanceof Error ? error.message : String(error)}`;
    return { messages: [], objects: new Map(), refused: [{ index: WHOLE_REQUEST, messageId: `${entry.idBase}-request`, userKey: '', code: 'EXPANSION_FAILED', message, payload: entry.body.toString('utf8') }] };
  }
}
