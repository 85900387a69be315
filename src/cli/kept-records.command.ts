import { CliIo } from './io';
import { CliStores, openStores, parseIds } from './store-beside';

/** A store of records the service keeps for inspection (dry-run requests, dropped messages): what the commands read. */
export interface KeptRecords<R extends { readonly id: number }> {
  list(limit: number): Promise<{ total: number; items: R[] }>;
  show(id: number): Promise<R | undefined>;
  purge(ids: readonly number[] | 'all'): Promise<number>;
}

/** How one command names and prints its records. */
export interface KeptRecordsView<R extends { readonly id: number }> {
  /** The command, as typed: `dry-run`. */
  readonly command: string;
  /** One record, for messages: `dry-run request`. */
  readonly noun: string;
  records(stores: CliStores): KeptRecords<R>;
  /** A record as one tab-separated line of `list`. */
  line(record: R): string;
}

export interface KeptRecordsOptions {
  action: string;
  ids: string[];
  /** --data-dir, when given. */
  dataDir: string | undefined;
  all: boolean;
  limit: number;
  json: boolean;
}

/** `<command> list|show|purge` over records kept in the service's store, beside the running service (or in its Redis). */
export async function keptRecordsCommand<R extends { readonly id: number }>(view: KeptRecordsView<R>, o: KeptRecordsOptions, io: CliIo): Promise<number> {
  const stores = await openStores(view.command, o.dataDir, io);
  if (!stores) return 1;
  const records = view.records(stores);
  try {
    switch (o.action) {
      case 'list': {
        const listed = await records.list(o.limit);
        if (o.json) io.stdout(JSON.stringify(listed, null, 2) + '\n');
        else {
          for (const r of listed.items) io.stdout(`${view.line(r)}\n`);
          io.stdout(`${listed.total} ${view.noun}(s) kept${listed.total > listed.items.length ? `, the ${listed.items.length} most recent shown` : ''}\n`);
        }
        return 0;
      }
      case 'show': {
        const [id] = parseIds(o.ids, view.noun);
        const found = id === undefined ? undefined : await records.show(id);
        if (!found) {
          io.stderr(`${view.command}: no ${view.noun} ${o.ids[0] ?? '(give its id)'}\n`);
          return 1;
        }
        io.stdout(JSON.stringify(found, null, 2) + '\n');
        return 0;
      }
      case 'purge': {
        const ids = o.all ? 'all' : parseIds(o.ids, view.noun);
        if (ids !== 'all' && ids.length === 0) throw new TypeError(`purge takes ${view.noun} ids or --all`);
        io.stdout(`purged ${await records.purge(ids)} ${view.noun}(s)\n`);
        return 0;
      }
      default:
        throw new TypeError(`${view.command} takes list, show or purge (got "${o.action}")`);
    }
  } finally {
    await stores.close();
  }
}
