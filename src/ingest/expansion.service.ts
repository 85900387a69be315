import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MappingRegistry } from '../mapping/mapping.registry';
import { Metrics } from '../observability/metrics';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { ExpanderThread } from './expander-thread';
import { ExpansionHost } from './expansion-host';
import { ExpansionReport } from './inbox-expander';
import { LoopExpansion } from './loop-expansion';

/** What the expansion needs of delivery: to be told that new work is queued. The composition root wires it. */
export interface NewWorkSignal {
  queued(): void;
}

export const NEW_WORK_SIGNAL = Symbol('NewWorkSignal');

/**
 * Owns the inbox's expansion: hosts it where INBOX_EXPANDER says (a thread of its own, or the
 * request path's loop), counts what each transaction made, and signals new work. Started
 * and stopped by the service's lifecycle (src/lifecycle.ts), which orders it against delivery.
 */
@Injectable()
export class ExpansionService {
  private readonly host: ExpansionHost;
  private readonly logger = new Logger('Expansion');

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: SqliteQueue,
    mappings: MappingRegistry,
    metrics: Metrics,
    @Inject(NEW_WORK_SIGNAL) newWork: NewWorkSignal,
  ) {
    const d = config.delivery;
    const options = { batchMessages: d.expandBatch, shareUnderLoad: d.expandSharePercent / 100 };
    const counted = (report: ExpansionReport) => {
      for (const [kind, n] of report.objects) metrics.objectsMapped.inc({ kind }, n);
      for (const code of report.refusedCodes) metrics.rejected.inc({ reason: code });
      metrics.duplicates.inc(report.duplicates);
      for (const [code, n] of report.dropped) metrics.dropped.inc({ code }, n);
      metrics.deadLettered.inc(report.refused);
    };
    const warn = (message: string) => this.logger.warn(message);
    this.host =
      d.expander === 'thread'
        ? new ExpanderThread(store.inbox!, mappings, { dataDir: config.dataDir, synchronous: d.sqliteSynchronous, ...options }, {
            expanded: (report) => {
              counted(report);
              // On the loop, the store's expandInbox signals new work itself.
              if (report.messages > report.duplicates + report.refused) newWork.queued();
            },
            warn,
            error: (message) => this.logger.error(message),
          })
        : new LoopExpansion(store, store.inbox!, () => mappings.current.plan, options, { expanded: counted, warn });
  }

  start(): void {
    // What opening the inbox found (a torn tail cut, a read position clamped) is the expansion's to say.
    for (const note of this.store.inbox?.notes ?? []) this.logger.warn(note);
    this.host.start();
  }

  /** Lets the current transaction finish; what the inbox still holds waits on disk. */
  stop(): Promise<void> {
    return this.host.stop();
  }
}
