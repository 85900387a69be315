import { Inject, Injectable, Optional } from '@nestjs/common';
import { mapMessage } from '../engine';
import { Clock, CLOCK } from '../clock';
import { MappingRegistry } from '../mapping/mapping.registry';
import { enrich } from './enrich';
import { IngestRequest, IngestService } from './ingest.service';
import { MAX_MESSAGE_BYTES } from './limits';
import { checkMessage } from './message-check';
import { isJsonObject } from '../engine/json';
import { WorkObject } from '../queue/ports/work-queue.port';
import { workObjectsOf } from '../queue/work-objects';

/** What delivery would leave out of a message's attributes objects given the attribute memory (src/delivery/changes-preview.ts), wired by the composition root. */
export interface ChangesPreview {
  readonly enabled: boolean;
  of(objects: readonly WorkObject[]): Promise<readonly unknown[]>;
}

export const CHANGES_PREVIEW = Symbol('ChangesPreview');

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
    @Optional() @Inject(CHANGES_PREVIEW) private readonly changes: ChangesPreview | null = null,
  ) {}

  /**
   * With the attribute memory on, each mapped result also says, under `changes`, which
   * attributes delivery would leave out now and why (`unchanged`, `stale`): read-only.
   */
  async preview(request: Omit<IngestRequest, 'source'>): Promise<unknown> {
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
        ? { messageId, requests: result.requests, ...warnings, trace: result.trace, message }
        : { messageId, index, error: result.error, ...warnings, trace: result.trace };
    });
    const shown = await Promise.all(results.map((r) => this.withChanges(r)));
    return asBatch ? { results: shown } : shown[0];
  }

  private async withChanges(result: Record<string, unknown>): Promise<unknown> {
    const { message, ...shown } = result;
    if (!this.changes?.enabled || !('requests' in result)) return shown;
    return { ...shown, changes: await this.changes.of(workObjectsOf(result.requests as Parameters<typeof workObjectsOf>[0], message)) };
  }
}
