import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MappingRegistry } from '../mapping/mapping.registry';
import { Clock, CLOCK } from '../clock';
import { LoopHealth, STALL_CHECK_MS } from '../observability/loop-health';
import { Metrics } from '../observability/metrics';
import { ExpansionStore } from './expander-messages';
import { ExpanderThread } from './expander-thread';

/** What the expansion needs of delivery: to be told that new work is queued. The composition root wires it. */
export interface NewWorkSignal {
  queued(): void;
}

export const NEW_WORK_SIGNAL = Symbol('NewWorkSignal');

/** Where the expansion runs from (the embedded store's inbox, or Redis): an `ExpansionStore` the composition root provides. */
export const EXPANSION_STORE = Symbol('ExpansionStore');

/**
 * Owns the inbox's expansion: hosts it on a thread of its own, counts what each transaction
 * made, and signals new work. Started and stopped by the service's lifecycle
 * (src/lifecycle.ts), which orders it against delivery.
 */
@Injectable()
export class ExpansionService {
  private readonly thread: ExpanderThread;
  private readonly logger = new Logger('Expansion');
  /** Whether accepted requests are being made into work: for /health/delivery and the stalled metric. */
  readonly health: LoopHealth;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EXPANSION_STORE) private readonly store: ExpansionStore,
    mappings: MappingRegistry,
    private readonly metrics: Metrics,
    @Inject(NEW_WORK_SIGNAL) newWork: NewWorkSignal,
    @Inject(CLOCK) clock: Clock,
  ) {
    const d = config.delivery;
    const health = (this.health = new LoopHealth(() => clock.now().getTime(), d.stallAfterMs, (state) => {
      if (state.stalled) this.logger.error(`inbox expansion STALLED: ${state.reason}; accepted requests wait in the inbox`);
      else this.logger.log('inbox expansion makes progress again');
      metrics.loopStalled.set({ loop: 'expansion' }, state.stalled ? 1 : 0);
    }));
    this.thread = new ExpanderThread(
      store,
      mappings,
      { batchMessages: d.expandBatch, shareUnderLoad: d.expandSharePercent / 100 },
      {
        expanded: (report) => {
          for (const [kind, n] of report.objects) metrics.objectsMapped.inc({ kind }, n);
          for (const code of report.refusedCodes) metrics.rejected.inc({ reason: code });
          metrics.duplicates.inc(report.duplicates);
          for (const [code, n] of report.dropped) metrics.dropped.inc({ code }, n);
          metrics.deadLettered.inc(report.refused);
          if (report.messages > report.duplicates + report.refused) newWork.queued();
          health.progressed();
        },
        failed: (message) => health.failed(message),
        idle: (untilWork) => health.idle(untilWork),
        appended: () => health.workArrived(),
        warn: (message) => this.logger.warn(message),
        error: (message) => this.logger.error(message),
      },
    );
  }

  start(): void {
    // What opening the inbox found (a torn tail cut, a read position clamped) is the expansion's to say.
    for (const note of this.store.local?.notes ?? []) this.logger.warn(note);
    this.metrics.inboxTornTails.inc(this.store.local?.tailsCut ?? 0);
    this.thread.start();
    this.stallTimer = setInterval(() => this.health.check(), STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  /** Lets the current transaction finish; what the inbox still holds waits in its store. */
  stop(): Promise<void> {
    if (this.stallTimer) clearInterval(this.stallTimer);
    return this.thread.stop();
  }
}
