import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeadLetterStore } from '../queue/ports/dead-letter-store.port';
import { DroppedMessages } from '../queue/ports/dropped-messages.port';
import { DryRunSink } from '../queue/ports/dry-run-sink.port';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { CliIo } from './io';

/** What the CLI's commands work on: the service's stores, as ports. */
export interface CliStores {
  readonly deadLetters: DeadLetterStore;
  readonly dryRuns: DryRunSink;
  readonly dropped: DroppedMessages;
  close(): Promise<void>;
}

/**
 * The service's store, opened beside the service that may be running on it (no lock, no
 * inbox, its leases left alone); null, with the reason on stderr, when there is none.
 */
export function openStoreBeside(command: string, dataDir: string, io: CliIo): CliStores | null {
  if (!existsSync(join(dataDir, 'segment-braze.db'))) {
    io.stderr(`${command}: no store in ${dataDir} (set --data-dir or DATA_DIR)\n`);
    return null;
  }
  return new SqliteQueue(dataDir, () => Date.now(), { beside: true });
}

/** Record ids as given on the command line: whole numbers from 1. */
export function parseIds(ids: readonly string[], what: string): number[] {
  return ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`"${id}" is not a ${what} id`);
    return n;
  });
}
