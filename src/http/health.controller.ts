import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DeliveryService } from '../delivery/delivery.service';
import { MappingRegistry } from '../mapping/mapping.registry';
import { REQUEST_INBOX, RequestInbox } from '../queue/ports/request-inbox.port';
import { WORK_QUEUE, WorkQueue } from '../queue/ports/work-queue.port';

/**
 * Liveness and readiness. Ready: a mapping plan is loaded, the queue store answers, and
 * Braze has not rejected the key. A refused reload does not make the service unready: the
 * last good plan serves, and GET /v1/mappings shows the refusal.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly mappings: MappingRegistry,
    @Inject(REQUEST_INBOX) private readonly inbox: RequestInbox,
    @Optional() @Inject(WORK_QUEUE) private readonly queue?: WorkQueue,
    @Optional() private readonly delivery?: DeliveryService,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process is up and serving HTTP' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Mappings loaded, queue store open, Braze key not rejected' })
  ready() {
    return this.health.check([
      () => {
        const { version, active, lastRefused } = this.mappings.status;
        return this.indicator.check('mappings').up({ version, hash: active.hash.slice(0, 12), lastReloadRefused: lastRefused !== null });
      },
      async () => {
        const check = this.indicator.check('queue');
        try {
          const inbox = await this.inbox.health();
          if (!inbox.up) return check.down({ error: inbox.error });
          if (!this.queue) return check.up({ store: 'memory' });
          const queue = await this.queue.health();
          if (!queue.up) return check.down({ error: queue.error });
          return check.up({ ...(await this.queue.stats()) });
        } catch (error) {
          return check.down({ error: (error as Error).message });
        }
      },
      () => {
        const check = this.indicator.check('braze');
        const worker = this.delivery?.worker;
        if (worker?.status === 'paused') return check.down({ reason: worker.pauseReason });
        return check.up({ delivery: worker?.status ?? 'off', dryRun: this.delivery?.dryRun ?? false });
      },
    ]);
  }
}
