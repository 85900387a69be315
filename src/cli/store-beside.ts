import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, QueueBackend } from '../config/app-config';
import { AttributeMemory } from '../queue/ports/attribute-memory.port';
import { DeadLetterStore } from '../queue/ports/dead-letter-store.port';
import { DroppedMessages } from '../queue/ports/dropped-messages.port';
import { DryRunSink } from '../queue/ports/dry-run-sink.port';
import { RedisAttributeMemory } from '../queue/redis/redis-attribute-memory';
import { RedisDeadLetters } from '../queue/redis/redis-dead-letters';
import { RedisDroppedMessages } from '../queue/redis/redis-dropped-messages';
import { RedisDryRuns } from '../queue/redis/redis-dry-runs';
import { RedisWorkQueue } from '../queue/redis/redis-work-queue';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { CliIo } from './io';

/** What the CLI's commands work on: the service's stores, as ports. */
export interface CliStores {
  readonly deadLetters: DeadLetterStore;
  readonly dryRuns: DryRunSink;
  readonly dropped: DroppedMessages;
  /** What Braze accepted of each user's attributes, entries older than `ttlMs` recalled as absent. */
  attributeMemory(ttlMs: number): AttributeMemory;
  close(): Promise<void>;
}

/**
 * The service's stores, as the environment names them: with QUEUE=redis the Redis every
 * instance shares (REDIS_URL, REDIS_PREFIX, read and checked as the service reads them),
 * otherwise the SQLite store in `dataDir` (the --data-dir given, else DATA_DIR, else ./data),
 * opened beside the service that may be running on it (no lock, no inbox, its leases left
 * alone). Null, with the reason on stderr, when there is none to open.
 */
export async function openStores(command: string, dataDir: string | undefined, io: CliIo): Promise<CliStores | null> {
  const queue = queueOf(command, io);
  if (!queue) return null;
  if (queue.kind === 'redis') {
    if (dataDir !== undefined) return refuse(command, io, '--data-dir names the embedded store, but QUEUE=redis: the records are in Redis (unset QUEUE to read a DATA_DIR)');
    return openRedis(command, queue, io);
  }
  const dir = dataDir ?? io.env.DATA_DIR ?? './data';
  if (!existsSync(join(dir, 'segment-braze.db'))) return refuse(command, io, `no store in ${dir} (set --data-dir or DATA_DIR)`);
  return new SqliteQueue(dir, () => Date.now(), { beside: true });
}

/** Only the queue's own settings are read: a mistake in another (a Braze key without its endpoint) is the service's business, not this command's. */
function queueOf(command: string, io: CliIo): QueueBackend | null {
  const { QUEUE, REDIS_URL, REDIS_PREFIX } = io.env;
  try {
    return loadConfig({ QUEUE, REDIS_URL, REDIS_PREFIX }).queue;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.stderr(`${command}: ${problem}\n`);
    return null;
  }
}

async function openRedis(command: string, queue: QueueBackend & { kind: 'redis' }, io: CliIo): Promise<CliStores | null> {
  let redis: RedisWorkQueue;
  try {
    redis = await RedisWorkQueue.open(queue.url, () => Date.now(), { prefix: queue.prefix });
  } catch (error) {
    // The adapter's message names the URL without its password.
    return refuse(command, io, (error as Error).message);
  }
  return {
    deadLetters: new RedisDeadLetters(redis),
    dryRuns: new RedisDryRuns(redis),
    dropped: new RedisDroppedMessages(redis),
    attributeMemory: (ttlMs) => new RedisAttributeMemory(redis, ttlMs),
    close: () => redis.close(),
  };
}

function refuse(command: string, io: CliIo, why: string): null {
  io.stderr(`${command}: ${why}\n`);
  return null;
}

/** Record ids as given on the command line: whole numbers from 1. */
export function parseIds(ids: readonly string[], what: string): number[] {
  return ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`"${id}" is not a ${what} id`);
    return n;
  });
}
