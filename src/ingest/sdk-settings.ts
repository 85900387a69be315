/**
 * What a Segment SDK reads from `<cdn>/v1/projects/<writeKey>/settings` before it sends
 * anything, answered for a source whose only destination is this service:
 *
 * - `Segment.io.apiKey` is the write key analytics.js 2.0 puts on every call (without it the
 *   browser SDK sends none);
 * - no `apiHost`, so each SDK keeps the one it was configured with (analytics-kotlin and
 *   analytics-swift replace theirs with the settings' apiHost, and analytics-kotlin's
 *   fallback when the fetch fails names Segment's own);
 * - `metrics.sampleRate: 0`, so the SDKs do not send their usage counters at all.
 */
export function sdkSettings(writeKey: string) {
  return {
    integrations: { 'Segment.io': { apiKey: writeKey } },
    edgeFunction: {},
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    remotePlugins: [],
  };
}
