import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { CLOCK, Clock, systemClock } from './clock';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { AdminController } from './http/admin.controller';
import { HealthController } from './http/health.controller';
import { OperationsController } from './http/operations.controller';
import { MappingWatcher } from './mapping/mapping-watcher';
import { httpLogging } from './observability/http-logging';
import { Metrics } from './observability/metrics';
import { IngestController } from './http/ingest.controller';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { SdkSettingsController } from './http/sdk-settings.controller';
import { IngestService } from './ingest/ingest.service';
import { PreviewService } from './ingest/preview.service';
import { MemoryRejectionLog, REJECTION_LOG, RejectionLog } from './ingest/rejection-log';
import { MappingRegistry } from './mapping/mapping.registry';
import { DeliveryService } from './delivery/delivery.service';
import { DEAD_LETTER_STORE } from './queue/ports/dead-letter-store.port';
import { DRY_RUN_SINK } from './queue/ports/dry-run-sink.port';
import { MERGE_MEMORY } from './queue/ports/merge-memory.port';
import { REQUEST_INBOX, RequestInbox } from './queue/ports/request-inbox.port';
import { QueueStats, WORK_QUEUE, WorkQueue } from './queue/ports/work-queue.port';
import { SqliteQueue } from './queue/sqlite-queue.adapter';

export interface AppDependencies {
  readonly config: AppConfig;
  /** Loaded before Nest starts, so an invalid mapping set stops the boot with its diagnostics. */
  readonly mappings: MappingRegistry;
  readonly clock?: Clock;
  /** The durable store; delivery runs from it. Default: SQLite in DATA_DIR. */
  readonly store?: SqliteQueue;
  /** Ingestion-only tests may pass a queue instead: then no delivery worker runs. */
  readonly queue?: RequestInbox;
  readonly rejections?: RejectionLog;
}

@Module({})
export class AppModule implements NestModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    const clock = deps.clock ?? systemClock;
    const delivery = deps.queue
      ? [{ provide: REQUEST_INBOX, useValue: deps.queue }]
      : [
          { provide: SqliteQueue, useFactory: () => deps.store ?? new SqliteQueue(deps.config.dataDir, () => clock.now().getTime(), { synchronous: deps.config.delivery.sqliteSynchronous }) },
          { provide: REQUEST_INBOX, useExisting: SqliteQueue },
          { provide: WORK_QUEUE, useExisting: SqliteQueue },
          { provide: DEAD_LETTER_STORE, inject: [SqliteQueue], useFactory: (store: SqliteQueue) => store.deadLetters },
          { provide: MERGE_MEMORY, inject: [SqliteQueue], useFactory: (store: SqliteQueue) => store.merges },
          { provide: DRY_RUN_SINK, inject: [SqliteQueue], useFactory: (store: SqliteQueue) => store.dryRuns },
          DeliveryService,
        ];
    return {
      module: AppModule,
      global: true,
      imports: [
        HttpModule,
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({ pinoHttp: httpLogging(deps.config.logLevel) }),
      ],
      controllers: [IngestController, SdkSettingsController, AdminController, HealthController, OperationsController],
      providers: [
        { provide: APP_CONFIG, useValue: deps.config },
        { provide: MappingRegistry, useValue: deps.mappings },
        { provide: CLOCK, useValue: clock },
        ...delivery,
        { provide: REJECTION_LOG, useValue: deps.rejections ?? new MemoryRejectionLog() },
        {
          provide: Metrics,
          // Not DeliveryService: it depends on Metrics, and Nest hands an optional provider in
          // such a cycle over as undefined. Delivery sets delivery_paused itself.
          inject: [{ token: WORK_QUEUE, optional: true }],
          useFactory: (queue?: WorkQueue) => {
            if (!queue) return new Metrics();
            // One count of a large queue per scrape, not one per gauge.
            let cached: { at: number; stats: Promise<QueueStats> } | null = null;
            const stats = () => (cached && Date.now() - cached.at <= 1000 ? cached : (cached = { at: Date.now(), stats: queue.stats() })).stats;
            return new Metrics({
              depth: async () => ((s) => s.pending + s.leased)(await stats()),
              inbox: async () => (await stats()).inboxMessages,
              oldestAgeSeconds: async () => (await stats()).oldestPendingAgeMs / 1000,
              deadLetters: async () => (await stats()).deadLetters,
            });
          },
        },
        MappingWatcher,
        IngestService,
        PreviewService,
      ],
      exports: [APP_CONFIG, MappingRegistry, CLOCK, REQUEST_INBOX, REJECTION_LOG, Metrics, MappingWatcher, ...(deps.queue ? [] : [SqliteQueue, WORK_QUEUE, DEAD_LETTER_STORE, MERGE_MEMORY, DRY_RUN_SINK, DeliveryService])],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(IngestController);
  }
}
