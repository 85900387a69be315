import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { mapMessage } from '../engine';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { MappingRegistry } from '../mapping/mapping.registry';
import { DELIVERY_QUEUE, DeliveryQueue, QueuedMessage } from '../queue/delivery-queue.port';
import { verifySignature, WriteKeyVerifier, writeKeyFrom } from './auth';
import { BatchEnvelope, enrich } from './enrich';
import { IngestError, Rejection } from './ingest-error';
import { MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES } from './limits';
import { checkMessage, checkStructure, MessageType, SegmentMessage } from './message-check';
import { REJECTION_LOG, RejectionLog } from './rejection-log';
import { Metrics } from '../observability/metrics';
import { isJsonObject } from '../engine/json';

export type IngestSource = MessageType | 'batch' | 'webhook';

export interface IngestRequest {
  readonly source: IngestSource;
  readonly body: unknown;
  readonly rawBody: Buffer;
  readonly authorization?: string;
  readonly signature?: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly Rejection[];
}

interface Unpacked {
  readonly messages: readonly unknown[];
  readonly envelope: BatchEnvelope;
}

/** Validated, enriched messages in; mapped Braze work into the queue; every refusal recorded. */
@Injectable()
export class IngestService {
  private readonly keys: WriteKeyVerifier;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mappings: MappingRegistry,
    @Inject(DELIVERY_QUEUE) private readonly queue: DeliveryQueue,
    @Inject(REJECTION_LOG) private readonly rejections: RejectionLog,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.keys = new WriteKeyVerifier(config.writeKeys);
  }

  authenticate(request: IngestRequest): void {
    const secret = this.config.webhookSharedSecret;
    if (request.source === 'webhook' && secret !== undefined) {
      const first = Array.isArray(request.body) ? request.body[0] : undefined;
      if (!verifySignature(secret, request.rawBody, request.signature, first)) {
        throw new IngestError(401, 'UNAUTHORIZED', 'X-Signature is missing or does not match the body');
      }
      return;
    }
    if (!this.keys.accepts(writeKeyFrom(request.authorization, request.body))) {
      throw new IngestError(401, 'UNAUTHORIZED', 'a valid write key is required: HTTP Basic user name, or "writeKey" in the body');
    }
  }

  unpack(request: IngestRequest): Unpacked {
    const { source, body } = request;
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
    const { writeKey: _key, ...message } = body;
    return { messages: [{ ...message, type: source }], envelope: {} };
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    this.authenticate(request);
    const { messages, envelope } = this.unpack(request);
    this.metrics.received.inc({ endpoint: request.source }, messages.length);
    const plan = this.mappings.current.plan;
    const receivedAt = this.clock.now();
    const arrival = { receivedAt, receivedAtIso: receivedAt.toISOString(), newMessageId: () => `sb-${randomUUID()}` };
    const sized = request.rawBody.length <= MAX_MESSAGE_BYTES;
    const queued: QueuedMessage[] = [];
    const rejected: Rejection[] = [];
    // Counted per request, not per message: a labelled metric update costs a hash lookup.
    const mapped = new Map<string, number>();
    messages.forEach((raw, index) => {
      const verdict = checkMessage(raw, sized);
      if (!verdict.ok) return void rejected.push({ index, code: verdict.code, message: verdict.message });
      const message = enrich(verdict.message, envelope, arrival);
      const result = mapMessage(plan, message);
      if (!result.ok) return void rejected.push({ index, code: result.error.code, message: result.error.message });
      for (const r of result.requests) for (const [array, list] of Object.entries(r.body)) if (Array.isArray(list)) mapped.set(array, (mapped.get(array) ?? 0) + list.length);
      queued.push({ messageId: message.messageId as string, userKey: userKeyOf(message), receivedAt: message.receivedAt as string, requests: result.requests, warnings: result.warnings, message });
    });
    for (const [kind, n] of mapped) this.metrics.objectsMapped.inc({ kind }, n);
    this.record(request, messages, rejected, arrival.receivedAt);
    if (queued.length === 0) {
      // One message sent on its own answers with that message's reason; batches say so by index.
      const single = request.source !== 'batch' && !Array.isArray(request.body);
      if (single && rejected.length === 1) throw new IngestError(400, rejected[0].code as never, rejected[0].message, rejected);
      throw new IngestError(400, 'NO_VALID_MESSAGE', messages.length === 0 ? 'the batch is empty' : 'no message of the batch could be accepted', rejected);
    }
    let result;
    try {
      result = await this.queue.enqueue(queued);
    } catch (error) {
      throw new IngestError(503, 'QUEUE_UNAVAILABLE', 'the queue did not accept the messages; retry later');
    }
    this.metrics.duplicates.inc(result.duplicates.length);
    const duplicate = new Set(result.duplicates);
    const byType = new Map<string, number>();
    for (const q of queued) {
      if (duplicate.has(q.messageId)) continue;
      const type = (q.message as { type: string }).type;
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    for (const [type, n] of byType) this.metrics.accepted.inc({ type }, n);
    return { accepted: result.accepted, duplicates: result.duplicates.length, rejected };
  }

  private record(request: IngestRequest, messages: readonly unknown[], rejected: readonly Rejection[], at: Date): void {
    if (rejected.length === 0) return;
    for (const r of rejected) this.metrics.rejected.inc({ reason: r.code });
    this.rejections.record(
      rejected.map((r) => {
        return { ...r, at: at.toISOString(), source: request.source, payload: inspectable(messages[r.index]) };
      }),
    );
  }
}

const KEPT_PAYLOAD_CHARS = 4096;

/** What is kept of a refused message for inspection: bounded, and never a hostile structure. */
function inspectable(payload: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch {
    return '[not serialisable: nested too deep]';
  }
  if (text === undefined) return null;
  if (text.length > KEPT_PAYLOAD_CHARS || checkStructure([payload]) !== null) return `${text.slice(0, KEPT_PAYLOAD_CHARS)}… (${text.length} characters)`;
  return payload;
}

/** Per-user ordering key: the userId when there is one, else the anonymousId. */
function userKeyOf(message: SegmentMessage): string {
  const { userId, anonymousId } = message;
  return String((typeof userId === 'string' && userId.trim() !== '') || typeof userId === 'number' ? userId : anonymousId);
}
