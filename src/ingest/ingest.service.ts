import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { REQUEST_INBOX, RequestInbox, StoreFullError } from '../queue/ports/request-inbox.port';
import { IngestSource, isSized, unpack, Unpacked, validate } from './admit';
import { signatureCoverage, WriteKeyVerifier, writeKeyFrom } from './auth';
import { storableBody, withoutCredentials } from './credentials';
import { INGEST_ERROR_CODES, IngestError, Rejection } from './ingest-error';
import { checkStructure } from './message-check';
import { REJECTION_LOG, RejectionLog } from './rejection-log';
import { Metrics } from '../observability/metrics';

export type { IngestSource } from './admit';

export interface IngestRequest {
  readonly source: IngestSource;
  readonly body: unknown;
  readonly rawBody: Buffer;
  readonly authorization?: string;
  readonly signature?: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: readonly Rejection[];
}

/** Checked messages in; the accepted request into the queue (mapped there, off the request path); every refusal recorded. */
@Injectable()
export class IngestService {
  private readonly keys: WriteKeyVerifier;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REQUEST_INBOX) private readonly queue: RequestInbox,
    @Inject(REJECTION_LOG) private readonly rejections: RejectionLog,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.keys = new WriteKeyVerifier(config.writeKeys);
  }

  /** Whether `key` is one of SEGMENT_WRITE_KEYS (any key when none is configured). */
  acceptsWriteKey(key: string): boolean {
    return this.keys.accepts(key);
  }

  authenticate(request: IngestRequest): void {
    const secret = this.config.webhookSharedSecret;
    if (request.source === 'webhook' && secret !== undefined) return this.checkSignature(secret, request);
    if (!this.keys.accepts(writeKeyFrom(request.authorization, request.body))) {
      throw new IngestError(401, 'UNAUTHORIZED', 'a valid write key is required: HTTP Basic user name, or "writeKey" in the body');
    }
  }

  /**
   * The whole body signed, or (some Segment versions) its first message: enough when that is
   * all the array holds, and otherwise only with WEBHOOK_SIGNATURE_FIRST_MESSAGE, since anyone
   * holding one signed message could put messages of their own after it.
   */
  private checkSignature(secret: string, request: IngestRequest): void {
    const messages = Array.isArray(request.body) ? request.body : undefined;
    const coverage = signatureCoverage(secret, request.rawBody, request.signature, messages?.[0]);
    if (coverage === 'body' || (coverage === 'first-message' && (messages!.length === 1 || this.config.webhookSignatureFirstMessage))) return;
    if (coverage === 'first-message') {
      throw new IngestError(401, 'SIGNATURE_FIRST_MESSAGE_ONLY', `X-Signature signs only the first of the array's ${messages!.length} messages, so the others are not covered; sign the whole body, or set WEBHOOK_SIGNATURE_FIRST_MESSAGE=true to accept such signatures`);
    }
    throw new IngestError(401, 'UNAUTHORIZED', 'X-Signature is missing or does not match the body');
  }

  unpack(request: IngestRequest): Unpacked {
    return unpack(request.source, request.body);
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    this.authenticate(request);
    const unpacked = this.unpack(request);
    const { messages } = unpacked;
    this.metrics.received.inc({ endpoint: request.source }, messages.length);
    const receivedAt = this.clock.now().getTime();
    const { accepted, types, rejected } = validate(unpacked, isSized(request.rawBody));
    this.record(request, messages, rejected, receivedAt);
    if (accepted === 0) {
      // One message sent on its own answers with that message's reason; batches say so by index.
      const single = request.source !== 'batch' && !Array.isArray(request.body);
      if (single && rejected.length === 1) throw new IngestError(400, rejected[0].code as never, rejected[0].message, rejected);
      throw new IngestError(400, 'NO_VALID_MESSAGE', messages.length === 0 ? 'the batch is empty' : 'no message of the batch could be accepted', rejected);
    }
    // One random id per request; messages without a messageId get `<idBase>-<index>` when the work is made.
    const idBase = `sb-${randomUUID()}`;
    try {
      await this.queue.accept({ source: request.source, body: storableBody(request.source, request.body, request.rawBody), receivedAt, idBase, skip: rejected.map((r) => r.index), messages: accepted });
    } catch (error) {
      if (error instanceof StoreFullError) throw new IngestError(503, error.code, INGEST_ERROR_CODES[error.code]);
      throw new IngestError(503, 'QUEUE_UNAVAILABLE', 'the queue did not accept the messages; retry later');
    }
    for (const [type, n] of types) this.metrics.accepted.inc({ type }, n);
    return { accepted, rejected };
  }

  private record(request: IngestRequest, messages: readonly unknown[], rejected: readonly Rejection[], at: number): void {
    if (rejected.length === 0) return;
    for (const r of rejected) this.metrics.rejected.inc({ reason: r.code });
    const iso = new Date(at).toISOString();
    this.rejections.record(rejected.map((r) => ({ ...r, at: iso, source: request.source, payload: inspectable(withoutCredentials(messages[r.index])) })));
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
