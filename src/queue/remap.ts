import { mapMessage, MappingPlan } from '../engine';
import { Remap, StoredDeadLetter } from './ports/dead-letter-store.port';
import { WorkObject } from './ports/work-queue.port';
import { UNMAPPED } from './work-item';
import { workObjectsOf } from './work-objects';

/**
 * A replay's re-mapping with `plan` (after a mapping fix): for a dead letter that was an
 * object, the object the mapping makes now at the same place (endpoint, array, position);
 * for one the mapping refused (`unmapped`), every object it makes of the message now.
 */
export function remapWith(plan: MappingPlan): Remap {
  return (letter) => (letter.endpoint === UNMAPPED ? mapWhole(plan, letter) : mapInPlace(plan, letter));
}

/** Replay without a plan re-sends objects as stored; a message never made into objects has none to send. */
export const NEVER_MAPPED = 'it was never mapped: replay it with --remap once the mapping serves it';

function mapWhole(plan: MappingPlan, letter: StoredDeadLetter): WorkObject[] | string {
  if (letter.message === null) return 'the original message is no longer stored';
  const result = mapMessage(plan, letter.message);
  if (!result.ok) return `the mapping still fails: ${result.error.code} ${result.error.message}`;
  const objects = workObjectsOf(result.requests, letter.message);
  // Replayed into nothing, it would vanish uncounted: it stays a dead letter, to purge once read.
  if (objects.length === 0) return `the mapping makes no Braze object of it (${result.warnings.map((w) => w.code).join(', ') || 'no warnings'})`;
  return objects;
}

function mapInPlace(plan: MappingPlan, letter: StoredDeadLetter): WorkObject[] | string {
  if (letter.message === null) return 'the original message is no longer stored';
  const result = mapMessage(plan, letter.message);
  if (!result.ok) return `the mapping now fails: ${result.error.code} ${result.error.message}`;
  const found = workObjectsOf(result.requests, letter.message).find((o) => o.endpoint === letter.endpoint && o.array === letter.array && o.position === letter.position);
  return found ? [found] : `the mapping no longer makes ${letter.endpoint} ${letter.array}[${letter.position}]`;
}
