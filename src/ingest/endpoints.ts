import { MESSAGE_TYPES, MessageType } from './message-check';

/** The tracking API's endpoints that carry messages: one per message type, and the batch. */
export type TrackingEndpoint = MessageType | 'batch';

/**
 * Segment's short paths, each served as its long form. analytics.js 2.0 posts every call to
 * `/v1/<first letter of the type>` (`/v1/t`, `/v1/i`, …) and, in its batching mode, to
 * `/v1/b`; analytics-swift, analytics-kotlin and analytics-react-native post to `/v1/b`.
 */
export const SHORT_PATHS: Readonly<Record<string, TrackingEndpoint>> = Object.freeze({
  i: 'identify',
  t: 'track',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
  b: 'batch',
});

/**
 * Where the SDKs report their own usage counters (`{"series": [...]}`, no write key):
 * analytics.js 2.0 posts them to `<apiHost>/m`, so they reach this service once it is the
 * apiHost. They are not messages: the answer is a plain success and nothing is kept.
 */
export const SDK_METRICS_PATH = 'm';

/** The endpoint a path segment names, long or short; undefined for anything else. */
export function trackingEndpointAt(segment: string): TrackingEndpoint | undefined {
  if ((MESSAGE_TYPES as readonly string[]).includes(segment) || segment === 'batch') return segment as TrackingEndpoint;
  return Object.prototype.hasOwnProperty.call(SHORT_PATHS, segment) ? SHORT_PATHS[segment] : undefined;
}

/** Every path segment that serves `endpoint`: its long form first, then its short forms. */
export function pathsOf(endpoint: TrackingEndpoint): string[] {
  return [endpoint, ...Object.keys(SHORT_PATHS).filter((short) => SHORT_PATHS[short] === endpoint)];
}
