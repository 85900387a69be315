import { DroppedMessages, DroppedRecord } from '../ports/dropped-messages.port';
import { KeptEntry, RedisKeptRecords } from './redis-kept-records';
import { RedisWorkQueue } from './redis-work-queue';

const toRecord = ({ id, fields }: KeptEntry): DroppedRecord => ({
  id,
  at: new Date(Number(fields.t)).toISOString(),
  messageId: fields.m,
  userKey: fields.u,
  code: fields.c,
  message: fields.pl === undefined ? null : JSON.parse(fields.pl),
});

/** The messages commit.lua dropped on purpose and kept (lib.lua's keep_dropped), shared by every instance on the Redis. */
export class RedisDroppedMessages implements DroppedMessages {
  private readonly records: RedisKeptRecords;

  constructor(queue: RedisWorkQueue) {
    this.records = new RedisKeptRecords(queue, 'dropped');
  }

  async list(limit: number): Promise<{ total: number; byCode: Readonly<Record<string, number>>; items: DroppedRecord[] }> {
    const { total, byCode, entries } = await this.records.recent(limit);
    return { total, byCode, items: entries.map(toRecord) };
  }

  async show(id: number): Promise<DroppedRecord | undefined> {
    const entry = await this.records.one(id);
    return entry && toRecord(entry);
  }

  purge(ids: readonly number[] | 'all'): Promise<number> {
    return this.records.purge(ids);
  }
}
