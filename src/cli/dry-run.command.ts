import { CliIo } from './io';
import { openStoreBeside, parseIds } from './store-beside';

export interface DryRunOptions {
  action: string;
  ids: string[];
  dataDir: string;
  all: boolean;
  limit: number;
  json: boolean;
}

const counts = (objects: Readonly<Record<string, number>>) =>
  Object.entries(objects)
    .map(([array, n]) => `${n} ${array}`)
    .join(', ') || 'no objects';

/** `segment-braze dry-run list|show|purge`: the requests a dry-run service kept, beside it. */
export async function dryRunCommand(o: DryRunOptions, io: CliIo): Promise<number> {
  const store = openStoreBeside('dry-run', o.dataDir, io);
  if (!store) return 1;
  const records = store.dryRuns;
  try {
    switch (o.action) {
      case 'list': {
        const { total, items } = await records.list(o.limit);
        if (o.json) io.stdout(JSON.stringify({ total, items }, null, 2) + '\n');
        else {
          for (const r of items) io.stdout(`${r.id}\t${r.at}\t${r.endpoint}\t${counts(r.objects)}\n`);
          io.stdout(`${total} dry-run request(s) kept${total > items.length ? `, the ${items.length} most recent shown` : ''}\n`);
        }
        return 0;
      }
      case 'show': {
        const [id] = parseIds(o.ids, 'dry-run request');
        const found = id === undefined ? undefined : await records.show(id);
        if (!found) {
          io.stderr(`dry-run: no dry-run request ${o.ids[0] ?? '(give its id)'}\n`);
          return 1;
        }
        io.stdout(JSON.stringify(found, null, 2) + '\n');
        return 0;
      }
      case 'purge': {
        const ids = o.all ? 'all' : parseIds(o.ids, 'dry-run request');
        if (ids !== 'all' && ids.length === 0) throw new TypeError('purge takes dry-run request ids or --all');
        io.stdout(`purged ${await records.purge(ids)} dry-run request(s)\n`);
        return 0;
      }
      default:
        throw new TypeError(`dry-run takes list, show or purge (got "${o.action}")`);
    }
  } finally {
    await store.close();
  }
}
