import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DeliveryService } from '../delivery/delivery.service';
import { ExpansionService } from '../ingest/expansion.service';
import { MappingRegistry } from '../mapping/mapping.registry';
import { LoopHealth } from '../observability/loop-health';
import { REQUEST_INBOX, RequestInbox } from '../queue/ports/request-inbox.port';
import { WORK_QUEUE, WorkQueue } from '../queue/ports/work-queue.port';

/**
 * Liveness, readiness and delivery. Ready means "can accept": a mapping plan is loaded and
 * the stores answer. What Braze or delivery does is not readiness: accepted messages wait in
 * the durable queue, and taking every instance out of a load balancer because Braze refuses
 * the key (or the expansion stalls, which every instance on one store shares) would turn a
 * delivery problem into lost ingestion. GET /health/delivery reports that, for a monitor.
 * A refused reload does not make the service unready either: the last good plan serves, and
 * GET /v1/mappings shows the refusal.
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
    @Optional() private readonly expansion?: ExpansionService,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process is up and serving HTTP' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Can accept: mappings loaded, the stores answer (delivery state is /health/delivery)' })
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
      // Shown, never down: see /health/delivery.
      () => this.indicator.check('delivery').up({ delivery: this.delivery?.worker.status ?? 'off', dryRun: this.delivery?.dryRun ?? false }),
    ]);
  }

  @Get('delivery')
  @HealthCheck()
  @ApiOperation({ summary: 'For monitoring, not a load balancer: 503 while Braze refuses the key for an endpoint, or the expansion or delivery is stalled' })
  deliveryState() {
    return this.health.check([
      () => {
        const check = this.indicator.check('braze');
        const pauses = Object.fromEntries(this.delivery?.worker.pauses ?? []);
        const details = { dryRun: this.delivery?.dryRun ?? false, paused: pauses };
        return Object.keys(pauses).length > 0 ? check.down(details) : check.up(details);
      },
      () => this.loop('expansion', this.expansion?.health),
      () => this.loop('delivery', this.delivery?.worker.status === 'stopped' ? undefined : this.delivery?.worker.health),
    ]);
  }

  private loop(name: string, health: LoopHealth | undefined) {
    const check = this.indicator.check(name);
    if (!health) return check.up({ running: false });
    const state = health.check();
    return state.stalled ? check.down({ ...state }) : check.up({ ...state });
  }
}
