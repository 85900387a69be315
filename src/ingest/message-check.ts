import { toEpochMillis } from '../engine/transforms/instant';
import { TRANSFORM_FAILED } from '../engine/transforms';
import { IngestErrorCode } from './ingest-error';
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_LENGTH, MAX_NESTING_DEPTH } from './limits';
import { isJsonObject } from '../engine/json';

export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export type SegmentMessage = Record<string, unknown> & { type: MessageType };

export type MessageVerdict = { ok: true; message: SegmentMessage } | { ok: false; code: IngestErrorCode; message: string };

const refuse = (code: IngestErrorCode, message: string): MessageVerdict => ({ ok: false, code, message });

/** Depth and `__proto__` in one iterative walk, so hostile nesting cannot overflow the stack. */
export function checkStructure(root: object): MessageVerdict | null {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_NESTING_DEPTH) return refuse('TOO_DEEP', `the message nests more than ${MAX_NESTING_DEPTH} levels deep`);
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
    } else {
      for (const key of Object.keys(value as object)) {
        if (key === '__proto__') return refuse('FORBIDDEN_KEY', 'the message has a "__proto__" key');
        const item = (value as Record<string, unknown>)[key];
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
      }
    }
  }
  return null;
}

const isId = (v: unknown) => (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v));

function checkMembers(m: Record<string, unknown>): MessageVerdict | null {
  for (const key of ['context', 'integrations', 'traits', 'properties'] as const) {
    if (m[key] !== undefined && m[key] !== null && !isJsonObject(m[key])) return refuse('WRONG_TYPE', `${key} must be an object`);
  }
  for (const key of ['userId', 'anonymousId', 'groupId', 'previousId'] as const) {
    if (m[key] !== undefined && m[key] !== null && typeof m[key] !== 'string' && typeof m[key] !== 'number') return refuse('WRONG_TYPE', `${key} must be a string`);
  }
  for (const key of ['event', 'name', 'category'] as const) {
    if (m[key] !== undefined && m[key] !== null && typeof m[key] !== 'string') return refuse('WRONG_TYPE', `${key} must be a string`);
  }
  if (m.messageId !== undefined && (typeof m.messageId !== 'string' || m.messageId === '' || m.messageId.length > MAX_MESSAGE_ID_LENGTH)) {
    return refuse('WRONG_TYPE', `messageId must be a non-empty string of at most ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
  for (const key of ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt'] as const) {
    if (m[key] !== undefined && (typeof m[key] !== 'string' || toEpochMillis(m[key]) === TRANSFORM_FAILED)) return refuse('WRONG_TYPE', `${key} must be an ISO-8601 date-time`);
  }
  return null;
}

function checkType(m: SegmentMessage): MessageVerdict | null {
  if (!isId(m.userId) && !isId(m.anonymousId)) return refuse('MISSING_USER', 'the message needs a userId or an anonymousId');
  switch (m.type) {
    case 'track':
      return typeof m.event === 'string' && m.event.trim() !== '' ? null : refuse('MISSING_EVENT', 'a track message needs an "event"');
    case 'group':
      return isId(m.groupId) ? null : refuse('MISSING_GROUP_ID', 'a group message needs a "groupId"');
    case 'alias':
      if (!isId(m.userId)) return refuse('MISSING_USER', 'an alias message needs the new "userId"');
      return isId(m.previousId) ? null : refuse('MISSING_PREVIOUS_ID', 'an alias message needs a "previousId"');
    default:
      return null;
  }
}

/**
 * Checks one Segment message the way Segment's tracking API does. `sized` skips the byte
 * count when the whole request is already known to be under the per-message limit.
 */
export function checkMessage(raw: unknown, sized: boolean): MessageVerdict {
  if (!isJsonObject(raw)) return refuse('NOT_AN_OBJECT', 'a message is a JSON object');
  const structure = checkStructure(raw);
  if (structure) return structure;
  if (!sized && Buffer.byteLength(JSON.stringify(raw)) > MAX_MESSAGE_BYTES) return refuse('MESSAGE_TOO_LARGE', 'the message is over 32 KB');
  if (typeof raw.type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(raw.type)) {
    return refuse('UNKNOWN_TYPE', `type must be one of ${MESSAGE_TYPES.join(', ')}${typeof raw.type === 'string' ? ` (got "${raw.type.slice(0, 40)}")` : ''}`);
  }
  const message = raw as SegmentMessage;
  return checkMembers(message) ?? checkType(message) ?? { ok: true, message };
}
