import { toEpochMillis, toIsoString } from '../engine/transforms/instant';
import { EARLIEST_TIME_MS } from './limits';
import { SegmentMessage } from './message-check';

export interface BatchEnvelope {
  readonly context?: Record<string, unknown>;
  readonly integrations?: Record<string, unknown>;
  readonly sentAt?: string;
}

export interface Arrival {
  readonly receivedAt: Date;
  /** receivedAt as ISO-8601, formatted once per request. */
  readonly receivedAtIso: string;
  /** The messageId for the message at `index` that arrived without one. */
  readonly newMessageId: (index: number) => string;
}

function millis(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? toEpochMillis(value) : undefined;
  return typeof ms === 'number' ? ms : undefined;
}

/**
 * receivedAt − (sentAt − originalTimestamp), where that lies from 1970 to the arrival: a
 * message cannot have happened before clocks count, nor after it arrived. Outside that,
 * sentAt and the timestamp were not read from one clock (a clock reset between the event and
 * the send, a made-up sentAt), the skew they imply means nothing, and the message keeps its
 * own timestamp, which the door has checked (message-check.ts).
 */
function corrected(receivedMs: number, sentMs: number, originalMs: number): number {
  const ms = receivedMs - (sentMs - originalMs);
  return ms >= EARLIEST_TIME_MS && ms <= receivedMs ? ms : originalMs;
}

/**
 * What Segment adds on arrival (and the one thing it takes away, a write key in the message): batch-level context and integrations merged under each
 * message's own, a messageId when there is none, receivedAt (kept when the message already
 * has one), and a timestamp corrected for the sender's clock skew:
 * timestamp = receivedAt − (sentAt − originalTimestamp), within bounds (`corrected`).
 */
export function enrich(message: SegmentMessage, envelope: BatchEnvelope, arrival: Arrival, index = 0): SegmentMessage {
  // Object.assign, not spread: members are added next, and V8 re-allocates a spread copy's map per added key.
  const out = Object.assign({}, message) as SegmentMessage;
  // analytics.js puts the write key in every message it sends: it is a credential, not data, so it is not kept with the message (undefined, not delete: the copy keeps its shape).
  if (out.writeKey !== undefined) out.writeKey = undefined;
  if (envelope.context) out.context = { ...envelope.context, ...(message.context as Record<string, unknown> | undefined) };
  if (envelope.integrations) out.integrations = { ...envelope.integrations, ...(message.integrations as Record<string, unknown> | undefined) };
  if (out.messageId === undefined) out.messageId = arrival.newMessageId(index);
  // A message relayed by Segment (the webhook) already says when Segment received it.
  const relayed = millis(message.receivedAt);
  const received = relayed ?? arrival.receivedAt.getTime();
  out.receivedAt = relayed !== undefined ? toIsoString(relayed) : arrival.receivedAtIso;
  const original = message.originalTimestamp ?? message.timestamp;
  const sentAt = message.sentAt ?? envelope.sentAt;
  const originalMs = millis(original);
  const sentMs = millis(sentAt);
  if (originalMs !== undefined) out.originalTimestamp = original;
  if (sentAt !== undefined) out.sentAt = sentAt;
  if (originalMs !== undefined && sentMs !== undefined) out.timestamp = toIsoString(corrected(received, sentMs, originalMs));
  else out.timestamp = originalMs !== undefined ? toIsoString(originalMs) : out.receivedAt;
  return out;
}
