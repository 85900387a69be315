import { MapWarning } from '../engine';

/**
 * Why an accepted message made no Braze work although it was neither a duplicate nor a dead
 * letter: the mapping served it and had nothing to send. A closed list, the label set of
 * `segment_braze_messages_dropped_total{code}`.
 */
export const DROP_CODES = {
  EACH_EMPTY: 'the outputs of the rules that matched iterate over an array the message lacks or leaves empty (an order without products)',
  ALL_ITEMS_SKIPPED: 'every element those outputs iterate over lacked a required value (each one an ITEM_SKIPPED warning)',
  NO_OBJECTS: 'the rules that matched emitted no object for another reason (a safety net: the mapping language has no such case today)',
} as const;

export type DropCode = keyof typeof DROP_CODES;
export const DROP_CODE_NAMES = Object.freeze(Object.keys(DROP_CODES) as DropCode[]);

/** The code of a message whose mapping made no request, from the warnings the mapping gave. */
export function dropCodeOf(warnings: readonly MapWarning[]): DropCode {
  // Elements that were there but unusable say more than an array that was not.
  if (warnings.some((w) => w.code === 'ITEM_SKIPPED')) return 'ALL_ITEMS_SKIPPED';
  if (warnings.some((w) => w.code === 'EACH_EMPTY')) return 'EACH_EMPTY';
  return 'NO_OBJECTS';
}
