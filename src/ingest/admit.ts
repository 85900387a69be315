import { mapMessage, MappingPlan, MapResult } from '../engine';
import { isJsonObject } from '../engine/json';
import { QueuedMessage } from '../queue/ports/work-queue.port';
import { dropCodeOf } from './drop-codes';
import { BatchEnvelope, enrich } from './enrich';
import { IngestError, Rejection } from './ingest-error';
import { MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES } from './limits';
import { checkMessage, checkStructure, MessageType, SegmentMessage } from './message-check';

export type IngestSource = MessageType | 'batch' | 'webhook';

export interface Unpacked {
  readonly messages: readonly unknown[];
  readonly envelope: BatchEnvelope;
}

/** The messages a request body carries, and the batch-level members merged into each. */
export function unpack(source: IngestSource, body: unknown): Unpacked {
  if (source === 'webhook') {
    if (Array.isArray(body)) {
      if (body.length > MAX_BATCH_MESSAGES) throw new IngestError(400, 'BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH_MESSAGES} messages (got ${body.length})`);
      return { messages: body, envelope: {} };
    }
    if (isJsonObject(body)) return { messages: [body], envelope: {} };
    throw new IngestError(400, 'INVALID_BODY', 'the webhook body is one message (an object) or an array of messages');
  }
  if (source === 'batch') {
    if (!isJsonObject(body) || !Array.isArray(body.batch)) throw new IngestError(400, 'INVALID_BODY', 'a batch body is {"batch": [messages]}');
    if (body.batch.length > MAX_BATCH_MESSAGES) throw new IngestError(400, 'BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH_MESSAGES} messages (got ${body.batch.length})`);
    for (const key of ['context', 'integrations'] as const) {
      if (body[key] === undefined) continue;
      if (!isJsonObject(body[key])) throw new IngestError(400, 'INVALID_BODY', `the batch's ${key} must be an object`);
      // Merged into every message, so held to the same rules as a message.
      const problem = checkStructure(body[key] as object);
      if (problem && !problem.ok) throw new IngestError(400, problem.code as never, `the batch's ${key}: ${problem.message}`);
    }
    if (body.sentAt !== undefined && typeof body.sentAt !== 'string') throw new IngestError(400, 'INVALID_BODY', "the batch's sentAt must be an ISO-8601 string");
    return { messages: body.batch, envelope: { context: body.context as never, integrations: body.integrations as never, sentAt: body.sentAt as string | undefined } };
  }
  if (!isJsonObject(body)) throw new IngestError(400, 'INVALID_BODY', `the body of /v1/${source} is one message (a JSON object)`);
  return { messages: [{ ...body, type: source }], envelope: {} };
}

/** Everything admission depends on besides the body: fixed per request, so admitting again gives the same messages. */
export interface Admission {
  readonly receivedAt: number;
  /** Messages without a messageId get `<idBase>-<index>`. */
  readonly idBase: string;
  /** Whether the whole request is under the per-message size limit (then no message needs measuring). */
  readonly sized: boolean;
}

export interface Validated {
  /** How many messages passed the checks, and of which types. */
  readonly accepted: number;
  readonly types: Map<string, number>;
  readonly rejected: Rejection[];
}

/**
 * The request path's checks: Segment's own rules for each message (the mapping runs later,
 * off the request path, in `admit`). A message refused here is answered and never stored.
 */
export function validate(unpacked: Unpacked, sized: boolean): Validated {
  const rejected: Rejection[] = [];
  const types = new Map<string, number>();
  let accepted = 0;
  const { messages } = unpacked;
  for (let index = 0; index < messages.length; index++) {
    const verdict = checkMessage(messages[index], sized);
    if (!verdict.ok) {
      rejected.push({ index, code: verdict.code, message: verdict.message });
      continue;
    }
    accepted++;
    types.set(verdict.message.type, (types.get(verdict.message.type) ?? 0) + 1);
  }
  return { accepted, types, rejected };
}

export interface Admitted {
  readonly queued: QueuedMessage[];
  readonly rejected: Rejection[];
  /** The enriched messages that the plan could not map, by index (to keep them whole when the queue refuses them later). */
  readonly unmapped: Map<number, SegmentMessage>;
  /** Braze objects by array name (attributes, events, …), for the metrics. */
  readonly objects: Map<string, number>;
}

/**
 * Checks, enriches and maps every message of a stored request: the Braze work it makes.
 * Pure given the plan and the admission, so admitting a stored body again after a crash
 * gives the same messages and ids. `skip` holds the indices refused when the request was
 * answered, so they stay refused whatever the checks say now.
 */
export function admit(unpacked: Unpacked, admission: Admission, plan: MappingPlan, skip?: ReadonlySet<number>): Admitted {
  const receivedAt = new Date(admission.receivedAt);
  const arrival = { receivedAt, receivedAtIso: receivedAt.toISOString(), newMessageId: (index: number) => `${admission.idBase}-${index}` };
  const queued: QueuedMessage[] = [];
  const rejected: Rejection[] = [];
  const objects = new Map<string, number>();
  const unmapped = new Map<number, SegmentMessage>();
  const { messages, envelope } = unpacked;
  for (let index = 0; index < messages.length; index++) {
    if (skip?.has(index)) continue;
    const verdict = checkMessage(messages[index], admission.sized);
    if (!verdict.ok) {
      rejected.push({ index, code: verdict.code, message: verdict.message });
      continue;
    }
    const generatedId = verdict.message.messageId === undefined;
    const message = enrich(verdict.message, envelope, arrival, index);
    let result: MapResult;
    try {
      result = mapMessage(plan, message);
    } catch (error) {
      // mapMessage promises not to throw; should it ever, the message is refused alone, not its whole request.
      result = { ok: false, error: { code: 'MAPPING_FAILED' as never, message: `the mapping failed on this message: ${error instanceof Error ? error.message : String(error)}` }, warnings: [] };
    }
    if (!result.ok) {
      rejected.push({ index, code: result.error.code, message: result.error.message });
      unmapped.set(index, message);
      continue;
    }
    for (const r of result.requests) for (const key in r.body) if (Array.isArray(r.body[key])) objects.set(key, (objects.get(key) ?? 0) + (r.body[key] as unknown[]).length);
    // Mapped, and nothing to send: still accepted work, so that it is deduplicated and counted as dropped with its code.
    const dropCode = result.requests.length === 0 ? dropCodeOf(result.warnings) : undefined;
    queued.push({ messageId: message.messageId as string, generatedId, userKey: userKeyOf(message), receivedAt: message.receivedAt as string, requests: result.requests, warnings: result.warnings, message, dropCode });
  }
  return { queued, rejected, unmapped, objects };
}

export function isSized(rawBody: Buffer): boolean {
  return rawBody.length <= MAX_MESSAGE_BYTES;
}

/** Per-user ordering key: the userId when there is one, else the anonymousId. */
export function userKeyOf(message: SegmentMessage): string {
  const { userId, anonymousId } = message;
  return String((typeof userId === 'string' && userId.trim() !== '') || typeof userId === 'number' ? userId : anonymousId);
}
