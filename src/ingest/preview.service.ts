import { Inject, Injectable } from '@nestjs/common';
import { mapMessage } from '../engine';
import { Clock, CLOCK } from '../clock';
import { MappingRegistry } from '../mapping/mapping.registry';
import { enrich } from './enrich';
import { IngestRequest, IngestService } from './ingest.service';
import { MAX_MESSAGE_BYTES } from './limits';
import { checkMessage } from './message-check';
import { isJsonObject } from '../engine/json';

/**
 * Maps without queueing: the Braze requests and the trace for one message or a batch, in
 * the shape of the CLI's `map` lines. Nothing is stored or sent.
 */
@Injectable()
export class PreviewService {
  constructor(
    private readonly ingest: IngestService,
    private readonly mappings: MappingRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  preview(request: Omit<IngestRequest, 'source'>): unknown {
    const { body } = request;
    const asBatch = Array.isArray(body) || (isJsonObject(body) && Array.isArray(body.batch));
    const source = asBatch && !Array.isArray(body) ? 'batch' : 'webhook';
    const full: IngestRequest = { ...request, source };
    this.ingest.authenticate({ ...full, source: 'batch' });
    const { messages, envelope } = this.ingest.unpack(full);
    const plan = this.mappings.current.plan;
    const receivedAt = this.clock.now();
    const arrival = { receivedAt, receivedAtIso: receivedAt.toISOString(), newMessageId: () => 'preview' };
    const sized = request.rawBody.length <= MAX_MESSAGE_BYTES;
    const results = messages.map((raw, index) => {
      const verdict = checkMessage(raw, sized);
      const messageId = isJsonObject(raw) && typeof raw.messageId === 'string' ? raw.messageId : null;
      if (!verdict.ok) return { messageId, index, error: { code: verdict.code, message: verdict.message } };
      const message = enrich(verdict.message, envelope, arrival);
      const result = mapMessage(plan, message, { trace: true });
      const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {};
      return result.ok
        ? { messageId, requests: result.requests, ...warnings, trace: result.trace }
        : { messageId, index, error: result.error, ...warnings, trace: result.trace };
    });
    return asBatch ? { results } : results[0];
  }
}
