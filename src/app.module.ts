import { randomUUID } from 'node:crypto';
import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CLOCK, Clock, systemClock } from './clock';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { AdminController } from './http/admin.controller';
import { IngestController } from './http/ingest.controller';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { IngestService } from './ingest/ingest.service';
import { PreviewService } from './ingest/preview.service';
import { MemoryRejectionLog, REJECTION_LOG, RejectionLog } from './ingest/rejection-log';
import { MappingRegistry } from './mapping/mapping.registry';
import { DELIVERY_QUEUE, DeliveryQueue } from './queue/delivery-queue.port';
import { MemoryQueue } from './queue/memory-queue.adapter';

export interface AppDependencies {
  readonly config: AppConfig;
  /** Loaded before Nest starts, so an invalid mapping set stops the boot with its diagnostics. */
  readonly mappings: MappingRegistry;
  readonly clock?: Clock;
  readonly queue?: DeliveryQueue;
  readonly rejections?: RejectionLog;
}

/** Headers that carry secrets: pino writes "[redacted]" in their place. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie', 'req.headers["x-api-key"]'];

@Module({})
export class AppModule implements NestModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    const clock = deps.clock ?? systemClock;
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: deps.config.logLevel,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 100) : randomUUID()),
            customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
          },
        }),
      ],
      controllers: [IngestController, AdminController],
      providers: [
        { provide: APP_CONFIG, useValue: deps.config },
        { provide: MappingRegistry, useValue: deps.mappings },
        { provide: CLOCK, useValue: clock },
        { provide: DELIVERY_QUEUE, useValue: deps.queue ?? new MemoryQueue(() => clock.now()) },
        { provide: REJECTION_LOG, useValue: deps.rejections ?? new MemoryRejectionLog() },
        IngestService,
        PreviewService,
      ],
      exports: [APP_CONFIG, MappingRegistry, CLOCK, DELIVERY_QUEUE, REJECTION_LOG],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(IngestController);
  }
}
