/** Segment's HTTP tracking API limits, which the service enforces the same way. */
export const MAX_REQUEST_BYTES = 500 * 1024;
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_MESSAGES = 2500;
export const MAX_MESSAGE_ID_LENGTH = 100;
/** Deeper JSON than this is refused: real messages are a few levels deep. */
export const MAX_NESTING_DEPTH = 64;
/**
 * The times a message may carry (epoch ms, UTC): from 1970, where device clocks start
 * counting (a clock reset lands there, not before), to the last instant with a four-digit
 * year, the ISO-8601 form Braze takes.
 */
export const EARLIEST_TIME_MS = 0;
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
