import { DryRunRecord } from '../queue/ports/dry-run-sink.port';
import { KeptRecordsView } from './kept-records.command';

const counts = (objects: Readonly<Record<string, number>>) =>
  Object.entries(objects)
    .map(([array, n]) => `${n} ${array}`)
    .join(', ') || 'no objects';

/** `segment-braze dry-run list|show|purge`: the requests a dry-run service kept instead of sending them. */
export const DRY_RUN_RECORDS: KeptRecordsView<DryRunRecord> = {
  command: 'dry-run',
  noun: 'dry-run request',
  records: (stores) => stores.dryRuns,
  line: (r) => `${r.id}\t${r.at}\t${r.endpoint}\t${counts(r.objects)}`,
};
