/** Segment's HTTP tracking API limits, which the service enforces the same way. */
export const MAX_REQUEST_BYTES = 500 * 1024;
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_MESSAGES = 2500;
export const MAX_MESSAGE_ID_LENGTH = 100;
/** Deeper JSON than this is refused: real messages are a few levels deep. */
export const MAX_NESTING_DEPTH = 64;
