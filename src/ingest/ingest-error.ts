/** Why a request or a message was refused. Codes are part of the API. */
export const INGEST_ERROR_CODES = {
  INVALID_JSON: 'the body is not valid JSON',
  INVALID_UTF8: 'the body is not UTF-8',
  UNSUPPORTED_CONTENT_TYPE: 'bodies are JSON sent as application/json or text/plain',
  BODY_TOO_LARGE: 'the request is over 500 KB',
  BODY_TIMEOUT: 'the whole body did not arrive within HTTP_BODY_TIMEOUT_MS',
  INVALID_BODY: 'the body does not have the shape this endpoint takes',
  BATCH_TOO_LARGE: 'a batch holds at most 2,500 messages',
  NO_VALID_MESSAGE: 'no message of the batch could be accepted',
  UNAUTHORIZED: 'a valid write key (or webhook signature) is required',
  SIGNATURE_FIRST_MESSAGE_ONLY: 'the webhook signature covers only the first message of the array (see WEBHOOK_SIGNATURE_FIRST_MESSAGE)',
  NOT_AN_OBJECT: 'a message is a JSON object',
  UNKNOWN_TYPE: 'type is not one of identify, track, page, screen, group, alias',
  MISSING_USER: 'a message needs a userId or an anonymousId',
  MISSING_EVENT: 'a track message needs an event name',
  MISSING_GROUP_ID: 'a group message needs a groupId',
  MISSING_PREVIOUS_ID: 'an alias message needs a previousId',
  WRONG_TYPE: 'a member has the wrong JSON type',
  TIME_OUT_OF_RANGE: 'timestamp, originalTimestamp or receivedAt lies outside 1970-01-01 to 9999-12-31 (UTC)',
  MESSAGE_TOO_LARGE: 'a message is over 32 KB',
  TOO_DEEP: 'a message nests objects or arrays more than 64 levels deep',
  FORBIDDEN_KEY: 'a message has a __proto__ key',
  MAPPING_FAILED: 'the message is valid but the mapping cannot serve it (see the mapping code)',
  QUEUE_UNAVAILABLE: 'the queue did not accept the messages; retry',
  DISK_FULL: 'the queue\'s disk is too full to store more; what is queued is being delivered, retry later',
  QUEUE_FULL: 'the queue\'s Redis is out of memory (maxmemory); what is queued is being delivered, retry later',
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERROR_CODES;

export interface Rejection {
  /** Position in the batch (0 for a single message). */
  index: number;
  code: IngestErrorCode | string;
  message: string;
}

/** A refused request: the HTTP layer turns it into a 4xx with this code and message. */
export class IngestError extends Error {
  constructor(
    readonly status: 400 | 401 | 408 | 413 | 415 | 503,
    readonly code: IngestErrorCode,
    message: string,
    readonly rejected: readonly Rejection[] = [],
  ) {
    super(message);
    this.name = 'IngestError';
  }
}
