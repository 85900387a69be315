import { RedisWorkQueue } from './redis-work-queue';

/** The kinds of record lib.lua's `keep_record` keeps, each in a stream of its own. */
export type KeptKind = 'dry' | 'dropped';

/** One kept record: its number (the CLI's id) and its fields as `keep_record` wrote them. */
export interface KeptEntry {
  readonly id: number;
  readonly fields: Readonly<Record<string, string>>;
}

type StreamEntry = [id: string, fields: string[]];

function toEntry([id, fields]: StreamEntry): KeptEntry {
  const named: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) named[fields[i]] = fields[i + 1];
  return { id: Number(id.split('-')[0]), fields: named };
}

/**
 * The records of one kind, as the dry-run and dropped-message stores read them: the most
 * recent first, one by number, purged by number (forget.lua keeps the counts by code right).
 */
export class RedisKeptRecords {
  private readonly key: string;

  constructor(
    private readonly queue: RedisWorkQueue,
    private readonly kind: KeptKind,
  ) {
    this.key = `${queue.prefix}${kind}`;
  }

  /** The most recent `limit`, how many are kept, and how many of them each code accounts for: read in one step. */
  async recent(limit: number): Promise<{ total: number; byCode: Record<string, number>; entries: KeptEntry[] }> {
    const replies = (await this.queue.client.multi().xlen(this.key).xrevrange(this.key, '+', '-', 'COUNT', limit).hgetall(`${this.key}:codes`).exec())!;
    for (const [error] of replies) if (error) throw error;
    const [[, total], [, entries], [, codes]] = replies as [[null, number], [null, StreamEntry[]], [null, Record<string, string>]];
    // Sorted by code, as the SQLite adapter lists them: a listing reads the same on either backend.
    const byCode = Object.fromEntries(Object.keys(codes).sort().map((code) => [code, Number(codes[code])]));
    return { total, byCode, entries: entries.map(toEntry) };
  }

  async one(id: number): Promise<KeptEntry | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const [entry] = (await this.queue.client.xrange(this.key, `${id}-0`, `${id}-0`)) as StreamEntry[];
    return entry && toEntry(entry);
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    const numbers = ids === 'all' ? '*' : ids.filter((id) => Number.isSafeInteger(id) && id >= 1).join(',');
    if (numbers === '') return 0;
    return (await this.queue.runScript('forget', this.kind, numbers)) as number;
  }
}
