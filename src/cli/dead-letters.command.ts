import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DeadLetters } from '../queue/dead-letters';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { loadMappings } from '../mapping/mapping.registry';
import { MappingLoadError } from '../mapping/mapping-load.error';
import { CliIo } from './io';

export interface DeadLetterOptions {
  action: string;
  ids: string[];
  dataDir: string;
  all: boolean;
  remap: boolean;
  mappings: string;
  limit: number;
  json: boolean;
}

function parseIds(ids: string[]): number[] {
  return ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw new TypeError(`"${id}" is not a dead-letter id`);
    return n;
  });
}

/** `segment-braze dead-letters list|show|replay|purge` on the service's store in DATA_DIR. */
export async function deadLettersCommand(o: DeadLetterOptions, io: CliIo): Promise<number> {
  if (!existsSync(join(o.dataDir, 'segment-braze.db'))) {
    io.stderr(`dead-letters: no store in ${o.dataDir} (set --data-dir or DATA_DIR)\n`);
    return 1;
  }
  const store = new SqliteQueue(o.dataDir, () => Date.now(), { beside: true });
  const dead = new DeadLetters(store.db, () => Date.now());
  try {
    switch (o.action) {
      case 'list': {
        const { total, items } = dead.list(o.limit);
        if (o.json) io.stdout(JSON.stringify({ total, items }, null, 2) + '\n');
        else {
          for (const d of items) io.stdout(`${d.id}\t${d.failedAt}\t${d.endpoint} ${d.array}\tmessage ${d.messageId}\tuser ${d.userKey}\t${d.reason}\n`);
          io.stdout(`${total} dead letter(s)${total > items.length ? `, ${items.length} shown` : ''}\n`);
        }
        return 0;
      }
      case 'show': {
        const [id] = parseIds(o.ids);
        const found = id === undefined ? undefined : dead.show(id);
        if (!found) {
          io.stderr(`dead-letters: no dead letter ${o.ids[0] ?? ''}\n`);
          return 1;
        }
        io.stdout(JSON.stringify(found, null, 2) + '\n');
        return 0;
      }
      case 'replay': {
        const ids = o.all ? 'all' : parseIds(o.ids);
        if (ids !== 'all' && ids.length === 0) throw new TypeError('replay takes dead-letter ids or --all');
        const plan = o.remap ? (await loadMappings(o.mappings, () => new Date())).plan : undefined;
        const result = dead.replay(ids, plan);
        io.stdout(`replayed ${result.replayed} dead letter(s)${o.remap ? ' re-mapped with ' + o.mappings : ''}\n`);
        for (const s of result.skipped) io.stdout(`skipped ${s.id}: ${s.reason}\n`);
        return result.skipped.length > 0 ? 2 : 0;
      }
      case 'purge': {
        const ids = o.all ? 'all' : parseIds(o.ids);
        if (ids !== 'all' && ids.length === 0) throw new TypeError('purge takes dead-letter ids or --all');
        io.stdout(`purged ${dead.purge(ids)} dead letter(s)\n`);
        return 0;
      }
      default:
        throw new TypeError(`dead-letters takes list, show, replay or purge (got "${o.action}")`);
    }
  } catch (error) {
    if (!(error instanceof MappingLoadError)) throw error;
    io.stderr(`dead-letters: ${error.message}\n`);
    return 1;
  } finally {
    store.close();
  }
}
