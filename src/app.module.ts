import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { CLOCK, Clock, systemClock } from './clock';
import { Backend, BackendKind } from './composition';
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
import { CHANGES_PREVIEW, PreviewService } from './ingest/preview.service';
import { ChangesPreviewer } from './delivery/changes-preview';
import { ATTRIBUTE_MEMORY_STORE, AttributeMemory } from './queue/ports/attribute-memory.port';
import { MemoryRejectionLog, REJECTION_LOG } from './ingest/rejection-log';
import { MappingRegistry } from './mapping/mapping.registry';
import { QueueStats, WORK_QUEUE, WorkQueue } from './queue/ports/work-queue.port';

export interface AppDependencies {
  readonly config: AppConfig;
  /** Loaded before Nest starts, so an invalid mapping set stops the boot with its diagnostics. */
  readonly mappings: MappingRegistry;
  readonly clock?: Clock;
  /** Which adapters to build (src/composition.ts). Default: the configuration's QUEUE (SQLite in DATA_DIR, or Redis); ingestion-only tests choose `memory`. */
  readonly backend?: BackendKind;
}

/** What the boot log says about the chosen backend (src/composition.ts). */
export const BACKEND_NOTES = Symbol('BackendNotes');

/** The composition root: the configuration and the mappings in, the whole service out. */
@Module({})
export class AppModule implements NestModule {
  /** `backend`: the adapters src/composition.ts built for `deps.backend`. */
  static forRoot(deps: AppDependencies, backend: Backend): DynamicModule {
    const clock = deps.clock ?? systemClock;
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
        { provide: BACKEND_NOTES, useValue: backend.notes },
        ...backend.providers,
        { provide: REJECTION_LOG, useValue: new MemoryRejectionLog() },
        {
          provide: Metrics,
          // Not DeliveryService: it depends on Metrics, and Nest hands an optional provider in
          // such a cycle over as undefined. Delivery sets delivery_paused itself.
          inject: [{ token: WORK_QUEUE, optional: true }],
          useFactory: (queue?: WorkQueue) => {
            if (!queue) return new Metrics();
            // One count of a large queue per scrape, not one per gauge.
            const now = () => clock.now().getTime();
            let cached: { at: number; stats: Promise<QueueStats> } | null = null;
            const stats = () => (cached && now() - cached.at <= 1000 ? cached : (cached = { at: now(), stats: queue.stats() })).stats;
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
        { provide: CHANGES_PREVIEW, inject: [{ token: ATTRIBUTE_MEMORY_STORE, optional: true }], useFactory: (memory?: AttributeMemory) => new ChangesPreviewer(memory ?? null) },
        PreviewService,
      ],
      exports: [APP_CONFIG, MappingRegistry, CLOCK, BACKEND_NOTES, REJECTION_LOG, Metrics, MappingWatcher, ...backend.exports],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(IngestController);
  }
}
