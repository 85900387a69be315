import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { STALL_CHECK_MS } from '../observability/loop-health';
import { Metrics } from '../observability/metrics';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { ATTRIBUTE_MEMORY_STORE, AttributeMemory } from '../queue/ports/attribute-memory.port';
import { BRAZE_BUDGET, BrazeBudget } from '../queue/ports/braze-budget.port';
import { DRY_RUN_SINK, DryRunSink } from '../queue/ports/dry-run-sink.port';
import { MERGE_MEMORY, MergeMemory } from '../queue/ports/merge-memory.port';
import { WORK_QUEUE, WorkQueue } from '../queue/ports/work-queue.port';
import { BrazeSender } from './braze-sender';
import { DeliveryWorker } from './delivery.worker';
import { DryRunSender } from './dry-run.sender';
import { HttpBrazeSender } from './http-braze.sender';
import { ownerId } from './owner-id';
import { trackLimits } from './pack';

/** Owns the worker's life: started after boot, drained on SIGTERM, by the service's lifecycle (src/lifecycle.ts). */
@Injectable()
export class DeliveryService {
  readonly worker: DeliveryWorker;
  private readonly sender: BrazeSender;
  private readonly logger = new Logger('Delivery');
  private pruneTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) clock: Clock,
    http: HttpService,
    metrics: Metrics,
    @Inject(WORK_QUEUE) private readonly queue: WorkQueue,
    @Inject(MERGE_MEMORY) merges: MergeMemory,
    @Inject(DRY_RUN_SINK) dryRuns: DryRunSink,
    @Inject(BRAZE_BUDGET) budget: BrazeBudget,
    /** Absent when ATTRIBUTE_MEMORY=false: every attribute is sent. */
    @Optional() @Inject(ATTRIBUTE_MEMORY_STORE) memory: AttributeMemory | null = null,
  ) {
    const d = config.delivery;
    this.sender =
      config.brazeRestEndpoint !== undefined && config.brazeApiKey !== undefined
        ? new HttpBrazeSender(http, { endpoint: config.brazeRestEndpoint, apiKey: config.brazeApiKey, timeoutMs: d.timeoutMs, maxSockets: d.concurrency })
        : new DryRunSender((request) => dryRuns.record(request));
    const limits = trackLimits(d.trackBatchShape, d.trackBatchSize);
    // Dry-run objects are not delivered: their own counter, so dashboards do not count them as sent.
    const dryRun = this.sender.dryRun;
    const options = { flushMs: d.flushMs, concurrency: d.concurrency, limits, maxAttempts: d.maxAttempts, pauseProbeMs: d.pauseProbeMs, retryBaseMs: d.retryBaseMs, retryCapMs: 5 * 60_000, owner: ownerId(), leaseTtlMs: d.leaseTtlMs, stallMs: d.stallAfterMs };
    // A dry run sends nothing to Braze: remembering it would leave out values Braze never had once the key is set.
    const attributes = dryRun ? null : memory;
    this.worker = new DeliveryWorker({ queue, merges, budget, attributes }, this.sender, () => clock.now().getTime(), options, this.logger, Math.random, {
      request: (endpoint, statusClass, seconds) => {
        metrics.brazeRequests.inc({ endpoint, status_class: dryRun ? 'dry_run' : statusClass });
        if (!dryRun) metrics.brazeLatency.observe({ endpoint }, seconds);
      },
      delivered: (n) => (dryRun ? metrics.objectsDryRun : metrics.objectsDelivered).inc(n),
      retried: (n) => metrics.retries.inc(n),
      deadLettered: (n) => metrics.deadLettered.inc(n),
      rateLimitWait: () => metrics.rateLimitWaits.inc(),
      paused: (endpoint, paused) => metrics.deliveryPaused.set({ endpoint }, paused ? 1 : 0),
      stalled: (state) => metrics.loopStalled.set({ loop: 'delivery' }, state.stalled ? 1 : 0),
      changes: dryRun
        ? {}
        : {
            dataPointsSent: (kind, points) => metrics.dataPointsSent.inc({ kind }, points),
            dataPointsSaved: (reason, points) => metrics.dataPointsSaved.inc({ reason }, points),
            objectsNotSent: (n) => metrics.objectsNotSent.inc(n),
          },
    });
  }

  get dryRun(): boolean {
    return this.sender.dryRun;
  }

  start(): void {
    if (this.sender.dryRun) this.logger.warn('DRY-RUN: BRAZE_REST_ENDPOINT/BRAZE_API_KEY are not set, so requests are built and kept for inspection, not sent.');
    this.worker.start();
    // Deduplication entries older than 24 hours are forgotten, so the table stays bounded.
    this.pruneTimer = setInterval(() => void this.queue.prune().catch((error: Error) => this.logger.warn(`pruning deduplication entries failed: ${error.message}`)), 10 * 60_000);
    this.pruneTimer.unref();
    // A stall is seen (logged, counted) when it happens, not when someone asks.
    this.stallTimer = setInterval(() => this.worker.health.check(), STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  /** Lets in-flight requests settle; the store stays open for whoever closes it. */
  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    await this.worker.stop();
    if (this.sender instanceof HttpBrazeSender) this.sender.close();
  }
}
