import { InjectionToken, Provider } from '@nestjs/common';
import { BootError, dataDirError } from './boot-error';
import { Clock, CLOCK } from './clock';
import { AppConfig } from './config/app-config';
import { DeliveryService } from './delivery/delivery.service';
import { ownerId } from './delivery/owner-id';
import { LocalBudget } from './delivery/local-budget';
import { ExpansionStore } from './ingest/expander-messages';
import { EXPANSION_STORE, ExpansionService, NEW_WORK_SIGNAL, NewWorkSignal } from './ingest/expansion.service';
import { expansionOf } from './ingest/inbox-expander';
import { ServiceLifecycle } from './lifecycle';
import { MappingRegistry } from './mapping/mapping.registry';
import { BRAZE_BUDGET } from './queue/ports/braze-budget.port';
import { DEAD_LETTER_STORE } from './queue/ports/dead-letter-store.port';
import { DRY_RUN_SINK } from './queue/ports/dry-run-sink.port';
import { MERGE_MEMORY } from './queue/ports/merge-memory.port';
import { REQUEST_INBOX } from './queue/ports/request-inbox.port';
import { WORK_QUEUE } from './queue/ports/work-queue.port';
import { MemoryQueue } from './queue/memory-queue.adapter';
import { RedisBrazeBudget } from './queue/redis/redis-braze-budget';
import { durabilityWarnings } from './queue/redis/redis-connection';
import { RedisDeadLetters } from './queue/redis/redis-dead-letters';
import { RedisDryRuns } from './queue/redis/redis-dry-runs';
import { RedisRequestInbox } from './queue/redis/redis-inbox';
import { RedisMergeMemory } from './queue/redis/redis-merge-memory';
import { RedisAttributeMemory } from './queue/redis/redis-attribute-memory';
import { ATTRIBUTE_MEMORY_STORE, AttributeMemory } from './queue/ports/attribute-memory.port';
import { RedisWorkQueue } from './queue/redis/redis-work-queue';
import { SqliteQueue } from './queue/sqlite-queue.adapter';

/**
 * Which adapters stand behind the ports. `sqlite`: the embedded store in DATA_DIR, with the
 * expansion and delivery running from it. `memory`: an in-process queue that expands each
 * request at once and delivers nothing, for ingestion-only tests.
 */
export type BackendKind = 'sqlite' | 'redis' | 'memory';

/** The chosen adapters and the parts that run from them, as Nest providers. */
export interface Backend {
  readonly providers: Provider[];
  /** What the rest of the application may inject. */
  readonly exports: InjectionToken[];
  /** What the boot log should say about the backend (a Redis without persistence, say). */
  readonly notes: readonly string[];
  /** Lets go of what was opened, for a boot that fails after composing. */
  close(): Promise<void>;
}

/**
 * The one place that builds adapters. Called by `createApp` before Nest starts, so a DATA_DIR
 * that cannot be used or a Redis that cannot be reached stops the boot with one plain line
 * instead of a failed provider.
 */
export async function composeBackend(kind: BackendKind, config: AppConfig, clock: Clock, mappings: MappingRegistry): Promise<Backend> {
  if (kind === 'memory') return memoryBackend(clock, mappings);
  if (kind === 'redis') return redisBackend(config, clock);
  return sqliteBackend(openStore(config, clock), config);
}

function openStore(config: AppConfig, clock: Clock): SqliteQueue {
  try {
    return new SqliteQueue(config.dataDir, () => clock.now().getTime(), { synchronous: config.delivery.sqliteSynchronous, disk: config.disk });
  } catch (error) {
    throw dataDirError(error, config.dataDir);
  }
}

function sqliteBackend(store: SqliteQueue, config: AppConfig): Backend {
  // The expansion wakes delivery through the store's wake-up, which the worker listens on.
  const newWork: NewWorkSignal = { queued: () => store.wakeUp.notify() };
  // The thread opens the store beside this one and reads the inbox up to the appends this one announces.
  const expansion: ExpansionStore = { thread: { kind: 'sqlite', dataDir: config.dataDir, synchronous: config.delivery.sqliteSynchronous, disk: config.disk }, local: store.inbox! };
  return {
    providers: [
      { provide: SqliteQueue, useValue: store },
      { provide: REQUEST_INBOX, useValue: store },
      { provide: WORK_QUEUE, useValue: store },
      { provide: DEAD_LETTER_STORE, useValue: store.deadLetters },
      { provide: MERGE_MEMORY, useValue: store.merges },
      ...attributeMemory(config, (ttlMs) => store.attributeMemory(ttlMs)),
      { provide: DRY_RUN_SINK, useValue: store.dryRuns },
      { provide: NEW_WORK_SIGNAL, useValue: newWork },
      { provide: BRAZE_BUDGET, useFactory: (clock: Clock) => new LocalBudget(() => clock.now().getTime()), inject: [CLOCK] },
      { provide: EXPANSION_STORE, useValue: expansion },
      DeliveryService,
      ExpansionService,
      ServiceLifecycle,
    ],
    exports: [SqliteQueue, REQUEST_INBOX, WORK_QUEUE, DEAD_LETTER_STORE, MERGE_MEMORY, ...attributeMemoryExport(config), DRY_RUN_SINK, DeliveryService, ExpansionService],
    notes: store.notes,
    close: () => store.close(),
  };
}

/**
 * Everything in the Redis at REDIS_URL under REDIS_PREFIX, shared by every instance there:
 * the inbox (a stream this instance reads as one consumer of the group), the work queue, the
 * records beside it and the Braze budget. Nothing acknowledged lives on this instance.
 */
async function redisBackend(config: AppConfig, clock: Clock): Promise<Backend> {
  if (config.queue.kind !== 'redis') throw new Error('redisBackend needs QUEUE=redis');
  const { url, prefix } = config.queue;
  const queue = await RedisWorkQueue.open(url, () => clock.now().getTime(), { prefix }).catch((error: Error) => {
    throw new BootError(`QUEUE=redis: ${error.message}`);
  });
  try {
    const budget = await RedisBrazeBudget.beside(queue);
    const notes = await durabilityWarnings(queue.client);
    const newWork: NewWorkSignal = { queued: () => queue.wakeUp.notify() };
    // The thread opens its own connections; another instance takes over what it read and did not commit after a lease TTL.
    const expansion: ExpansionStore = { thread: { kind: 'redis', url, prefix, consumer: ownerId(), claimAfterMs: config.delivery.leaseTtlMs } };
    const inbox = new RedisRequestInbox(queue);
    return {
      providers: [
        { provide: REQUEST_INBOX, useValue: inbox },
        { provide: WORK_QUEUE, useValue: queue },
        { provide: DEAD_LETTER_STORE, useValue: new RedisDeadLetters(queue) },
        { provide: MERGE_MEMORY, useValue: new RedisMergeMemory(queue) },
        ...attributeMemory(config, (ttlMs) => new RedisAttributeMemory(queue, ttlMs)),
        { provide: DRY_RUN_SINK, useValue: new RedisDryRuns(queue) },
        { provide: NEW_WORK_SIGNAL, useValue: newWork },
        { provide: BRAZE_BUDGET, useValue: budget },
        { provide: EXPANSION_STORE, useValue: expansion },
        DeliveryService,
        ExpansionService,
        ServiceLifecycle,
      ],
      exports: [REQUEST_INBOX, WORK_QUEUE, DEAD_LETTER_STORE, MERGE_MEMORY, ...attributeMemoryExport(config), DRY_RUN_SINK, DeliveryService, ExpansionService],
      notes,
      close: () => queue.close(),
    };
  } catch (error) {
    await queue.close();
    throw error;
  }
}

/** The memory of what Braze accepted, unless ATTRIBUTE_MEMORY=false: then no provider, and delivery sends every attribute. */
function attributeMemory(config: AppConfig, open: (ttlMs: number) => AttributeMemory): Provider[] {
  return config.attributeMemory.enabled ? [{ provide: ATTRIBUTE_MEMORY_STORE, useValue: open(config.attributeMemory.ttlMs) }] : [];
}

function attributeMemoryExport(config: AppConfig): symbol[] {
  return config.attributeMemory.enabled ? [ATTRIBUTE_MEMORY_STORE] : [];
}

function memoryBackend(clock: Clock, mappings: MappingRegistry): Backend {
  const queue = new MemoryQueue(() => clock.now(), (entry) => expansionOf(entry, mappings.current.plan));
  return {
    providers: [
      { provide: MemoryQueue, useValue: queue },
      { provide: REQUEST_INBOX, useValue: queue },
    ],
    exports: [MemoryQueue, REQUEST_INBOX],
    notes: [],
    close: async () => undefined,
  };
}
