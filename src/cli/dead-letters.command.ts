import { remapWith } from '../queue/remap';
import { loadMappings } from '../mapping/mapping.registry';
import { MappingLoadError } from '../mapping/mapping-load.error';
import { CliIo } from './io';
import { openStores, parseIds } from './store-beside';

export interface DeadLetterOptions {
  action: string;
  ids: string[];
  /** --data-dir, when given. */
  dataDir: string | undefined;
  all: boolean;
  remap: boolean;
  mappings: string;
  limit: number;
  json: boolean;
}

/** `segment-braze dead-letters list|show|replay|purge` on the service's store: in DATA_DIR, or its Redis with QUEUE=redis. */
export async function deadLettersCommand(o: DeadLetterOptions, io: CliIo): Promise<number> {
  const store = await openStores('dead-letters', o.dataDir, io);
  if (!store) return 1;
  const dead = store.deadLetters;
  try {
    switch (o.action) {
      case 'list': {
        const { total, items } = await dead.list(o.limit);
        if (o.json) io.stdout(JSON.stringify({ total, items }, null, 2) + '\n');
        else {
          for (const d of items) io.stdout(`${d.id}\t${d.failedAt}\t${d.endpoint} ${d.array}\tmessage ${d.messageId}\tuser ${d.userKey}\t${d.reason}\n`);
          io.stdout(`${total} dead letter(s)${total > items.length ? `, ${items.length} shown` : ''}\n`);
        }
        return 0;
      }
      case 'show': {
        const [id] = parseIds(o.ids, 'dead-letter');
        const found = id === undefined ? undefined : await dead.show(id);
        if (!found) {
          io.stderr(`dead-letters: no dead letter ${o.ids[0] ?? ''}\n`);
          return 1;
        }
        io.stdout(JSON.stringify(found, null, 2) + '\n');
        return 0;
      }
      case 'replay': {
        const ids = o.all ? 'all' : parseIds(o.ids, 'dead-letter');
        if (ids !== 'all' && ids.length === 0) throw new TypeError('replay takes dead-letter ids or --all');
        const plan = o.remap ? (await loadMappings(o.mappings, () => new Date())).plan : undefined;
        const result = await dead.replay(ids, plan && remapWith(plan));
        io.stdout(`replayed ${result.replayed} dead letter(s)${o.remap ? ' re-mapped with ' + o.mappings : ''}\n`);
        for (const s of result.skipped) io.stdout(`skipped ${s.id}: ${s.reason}\n`);
        return result.skipped.length > 0 ? 2 : 0;
      }
      case 'purge': {
        const ids = o.all ? 'all' : parseIds(o.ids, 'dead-letter');
        if (ids !== 'all' && ids.length === 0) throw new TypeError('purge takes dead-letter ids or --all');
        io.stdout(`purged ${await dead.purge(ids)} dead letter(s)\n`);
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
    await store.close();
  }
}
