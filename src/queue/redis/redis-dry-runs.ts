import { BrazeRequest } from '../../engine';
import { dryRunRecordOf } from '../dry-run-record';
import { DryRunRecord, DryRunSink } from '../ports/dry-run-sink.port';
import { KeptEntry, RedisKeptRecords } from './redis-kept-records';
import { RedisWorkQueue } from './redis-work-queue';

const toRecord = ({ id, fields }: KeptEntry): DryRunRecord => dryRunRecordOf(id, Number(fields.t), fields.e, fields.b);

/** The requests dry-run instances built instead of sending them, shared by every instance on the Redis: the most recent 10,000. */
export class RedisDryRuns implements DryRunSink {
  private readonly records: RedisKeptRecords;

  constructor(private readonly queue: RedisWorkQueue) {
    this.records = new RedisKeptRecords(queue, 'dry');
  }

  async record(request: BrazeRequest): Promise<void> {
    await this.queue.runScript('keep-dry-run', this.queue.clock(), request.endpoint, JSON.stringify(request.body));
  }

  async list(limit: number): Promise<{ total: number; items: DryRunRecord[] }> {
    const { total, entries } = await this.records.recent(limit);
    return { total, items: entries.map(toRecord) };
  }

  async show(id: number): Promise<DryRunRecord | undefined> {
    const entry = await this.records.one(id);
    return entry && toRecord(entry);
  }

  purge(ids: readonly number[] | 'all'): Promise<number> {
    return this.records.purge(ids);
  }
}
