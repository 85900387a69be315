import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '../observability/metrics';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { DRY_RUN_SINK, DryRunSink } from '../queue/ports/dry-run-sink.port';
import { MERGE_MEMORY, MergeMemory } from '../queue/ports/merge-memory.port';
import { WORK_QUEUE, WorkQueue } from '../queue/ports/work-queue.port';
import { ExpanderThread } from '../ingest/expander-thread';
import { ExpansionReport } from '../ingest/inbox-expander';
import { Expansion, LoopExpansion } from '../ingest/loop-expansion';
import { MappingRegistry } from '../mapping/mapping.registry';
import { BrazeSender } from './braze-sender';
import { DeliveryWorker } from './delivery.worker';
import { DryRunSender } from './dry-run.sender';
import { HttpBrazeSender } from './http-braze.sender';
import { ownerId } from './owner-id';
import { trackLimits } from './pack';

/** Owns the expander's and the worker's lives: started after boot, drained and closed on SIGTERM. */
@Injectable()
export class DeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly worker: DeliveryWorker;
  readonly expansion: Expansion;
  private readonly sender: BrazeSender;
  private readonly logger = new Logger('Delivery');
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) clock: Clock,
    readonly store: SqliteQueue,
    http: HttpService,
    metrics: Metrics,
    mappings: MappingRegistry,
    @Inject(WORK_QUEUE) private readonly queue: WorkQueue,
    @Inject(MERGE_MEMORY) merges: MergeMemory,
    @Inject(DRY_RUN_SINK) dryRuns: DryRunSink,
  ) {
    const d = config.delivery;
    const inbox = store.inbox!;
    const expansionOptions = { batchMessages: d.expandBatch, shareUnderLoad: d.expandSharePercent / 100 };
    const counted = (report: ExpansionReport) => {
      for (const [kind, n] of report.objects) metrics.objectsMapped.inc({ kind }, n);
      for (const code of report.refusedCodes) metrics.rejected.inc({ reason: code });
      metrics.duplicates.inc(report.duplicates);
      for (const [code, n] of report.dropped) metrics.dropped.inc({ code }, n);
      metrics.deadLettered.inc(report.refused);
    };
    const warn = (message: string) => this.logger.warn(message);
    this.expansion =
      d.expander === 'thread'
        ? new ExpanderThread(inbox, mappings, { dataDir: config.dataDir, synchronous: d.sqliteSynchronous, ...expansionOptions }, {
            expanded: (report) => {
              counted(report);
              // On the loop, the commit wakes delivery itself.
              if (report.messages > report.duplicates + report.refused) queue.wakeUp.notify();
            },
            warn,
            error: (message) => this.logger.error(message),
          })
        : new LoopExpansion(store, inbox, () => mappings.current.plan, expansionOptions, { expanded: counted, warn });
    this.sender =
      config.brazeRestEndpoint !== undefined && config.brazeApiKey !== undefined
        ? new HttpBrazeSender(http, { endpoint: config.brazeRestEndpoint, apiKey: config.brazeApiKey, timeoutMs: d.timeoutMs, maxSockets: d.concurrency })
        : new DryRunSender((request) => dryRuns.record(request));
    const limits = trackLimits(d.trackBatchShape, d.trackBatchSize);
    // Dry-run objects are not delivered: their own counter, so dashboards do not count them as sent.
    const dryRun = this.sender.dryRun;
    const options = { flushMs: d.flushMs, concurrency: d.concurrency, limits, maxAttempts: d.maxAttempts, pauseProbeMs: d.pauseProbeMs, retryBaseMs: d.retryBaseMs, retryCapMs: 5 * 60_000, owner: ownerId(), leaseTtlMs: d.leaseTtlMs };
    this.worker = new DeliveryWorker({ queue, merges }, this.sender, () => clock.now().getTime(), options, this.logger, Math.random, {
      request: (endpoint, statusClass, seconds) => {
        metrics.brazeRequests.inc({ endpoint, status_class: dryRun ? 'dry_run' : statusClass });
        if (!dryRun) metrics.brazeLatency.observe({ endpoint }, seconds);
      },
      delivered: (n) => (dryRun ? metrics.objectsDryRun : metrics.objectsDelivered).inc(n),
      retried: (n) => metrics.retries.inc(n),
      deadLettered: (n) => metrics.deadLettered.inc(n),
      rateLimitWait: () => metrics.rateLimitWaits.inc(),
      paused: (paused) => metrics.deliveryPaused.set(paused ? 1 : 0),
    });
  }

  get dryRun(): boolean {
    return this.sender.dryRun;
  }

  onApplicationBootstrap(): void {
    if (this.sender.dryRun) this.logger.warn('DRY-RUN: BRAZE_REST_ENDPOINT/BRAZE_API_KEY are not set, so requests are built and kept for inspection, not sent.');
    for (const note of this.store.inbox?.notes ?? []) this.logger.warn(note);
    this.expansion.start();
    this.worker.start();
    // Deduplication entries older than 24 hours are forgotten, so the table stays bounded.
    this.pruneTimer = setInterval(() => void this.queue.prune().catch((error: Error) => this.logger.warn(`pruning deduplication entries failed: ${error.message}`)), 10 * 60_000);
    this.pruneTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.expansion.stop();
    await this.worker.stop();
    if (this.sender instanceof HttpBrazeSender) this.sender.close();
    await this.queue.close();
  }
}
