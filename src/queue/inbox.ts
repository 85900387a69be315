import { InboxEntry } from './ports/request-inbox.port';
import { QueuedMessage, Refusal } from './ports/work-queue.port';

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
