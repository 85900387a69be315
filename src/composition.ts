import { InjectionToken, Provider } from '@nestjs/common';
import { dataDirError } from './boot-error';
import { Clock } from './clock';
import { AppConfig } from './config/app-config';
import { DeliveryService } from './delivery/delivery.service';
import { ExpansionStore } from './ingest/expander-messages';
import { EXPANSION_STORE, ExpansionService, NEW_WORK_SIGNAL, NewWorkSignal } from './ingest/expansion.service';
import { expansionOf } from './ingest/inbox-expander';
import { ServiceLifecycle } from './lifecycle';
import { MappingRegistry } from './mapping/mapping.registry';
import { DEAD_LETTER_STORE } from './queue/ports/dead-letter-store.port';
import { DRY_RUN_SINK } from './queue/ports/dry-run-sink.port';
import { MERGE_MEMORY } from './queue/ports/merge-memory.port';
import { REQUEST_INBOX } from './queue/ports/request-inbox.port';
import { WORK_QUEUE } from './queue/ports/work-queue.port';
import { MemoryQueue } from './queue/memory-queue.adapter';
import { SqliteQueue } from './queue/sqlite-queue.adapter';

/**
 * Which adapters stand behind the ports. `sqlite`: the embedded store in DATA_DIR, with the
 * expansion and delivery running from it. `memory`: an in-process queue that expands each
 * request at once and delivers nothing, for ingestion-only tests.
 */
export type BackendKind = 'sqlite' | 'memory';

/** The chosen adapters and the parts that run from them, as Nest providers. */
export interface Backend {
  readonly providers: Provider[];
  /** What the rest of the application may inject. */
  readonly exports: InjectionToken[];
}

/**
 * The one place that builds adapters. Called by `AppModule.forRoot` before Nest starts, so a
 * DATA_DIR that cannot be used stops the boot with one plain line instead of a failed provider.
 */
export function composeBackend(kind: BackendKind, config: AppConfig, clock: Clock, mappings: MappingRegistry): Backend {
  return kind === 'memory' ? memoryBackend(clock, mappings) : sqliteBackend(openStore(config, clock), config);
}

function openStore(config: AppConfig, clock: Clock): SqliteQueue {
  try {
    return new SqliteQueue(config.dataDir, () => clock.now().getTime(), { synchronous: config.delivery.sqliteSynchronous });
  } catch (error) {
    throw dataDirError(error, config.dataDir);
  }
}

function sqliteBackend(store: SqliteQueue, config: AppConfig): Backend {
  // The expansion wakes delivery through the store's wake-up, which the worker listens on.
  const newWork: NewWorkSignal = { queued: () => store.wakeUp.notify() };
  // The thread opens the store beside this one and reads the inbox up to the appends this one announces.
  const expansion: ExpansionStore = { thread: { kind: 'sqlite', dataDir: config.dataDir, synchronous: config.delivery.sqliteSynchronous }, local: store.inbox! };
  return {
    providers: [
      { provide: SqliteQueue, useValue: store },
      { provide: REQUEST_INBOX, useValue: store },
      { provide: WORK_QUEUE, useValue: store },
      { provide: DEAD_LETTER_STORE, useValue: store.deadLetters },
      { provide: MERGE_MEMORY, useValue: store.merges },
      { provide: DRY_RUN_SINK, useValue: store.dryRuns },
      { provide: NEW_WORK_SIGNAL, useValue: newWork },
      { provide: EXPANSION_STORE, useValue: expansion },
      DeliveryService,
      ExpansionService,
      ServiceLifecycle,
    ],
    exports: [SqliteQueue, REQUEST_INBOX, WORK_QUEUE, DEAD_LETTER_STORE, MERGE_MEMORY, DRY_RUN_SINK, DeliveryService, ExpansionService],
  };
}

function memoryBackend(clock: Clock, mappings: MappingRegistry): Backend {
  const queue = new MemoryQueue(() => clock.now(), (entry) => expansionOf(entry, mappings.current.plan));
  return {
    providers: [
      { provide: MemoryQueue, useValue: queue },
      { provide: REQUEST_INBOX, useValue: queue },
    ],
    exports: [MemoryQueue, REQUEST_INBOX],
  };
}
