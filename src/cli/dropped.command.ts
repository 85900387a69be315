import { DroppedRecord } from '../queue/ports/dropped-messages.port';
import { KeptRecordsView } from './kept-records.command';

/** `segment-braze dropped list|show|purge`: the accepted messages the mapping made nothing of, on purpose, with the code that says why. */
export const DROPPED_RECORDS: KeptRecordsView<DroppedRecord> = {
  command: 'dropped',
  noun: 'dropped message',
  records: (stores) => stores.dropped,
  line: (r) => `${r.id}\t${r.at}\t${r.code}\t${r.messageId}\t${r.userKey}`,
};
