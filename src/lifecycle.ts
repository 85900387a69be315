import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DeliveryService } from './delivery/delivery.service';
import { ExpansionService } from './ingest/expansion.service';
import { WORK_QUEUE, WorkQueue } from './queue/ports/work-queue.port';

/**
 * The background parts' lives, in the one order that loses nothing. Written here because Nest
 * runs one module's hooks side by side, in no order.
 *
 * Nest has closed the HTTP server before `onApplicationShutdown` (no request is taken any
 * more); then the expansion stops (its current transaction commits), delivery stops (its
 * in-flight requests settle), and the store closes, its inbox flushed first.
 */
@Injectable()
export class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly expansion: ExpansionService,
    private readonly delivery: DeliveryService,
    @Inject(WORK_QUEUE) private readonly store: WorkQueue,
  ) {}

  /** Delivery first, so that it hears the expansion's first signal of new work. */
  onApplicationBootstrap(): void {
    this.delivery.start();
    this.expansion.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.expansion.stop();
    await this.delivery.stop();
    await this.store.close(); // flushes the inbox first
  }
}
