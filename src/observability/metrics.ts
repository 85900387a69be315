import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutputKind } from '../engine/output-kinds';
import { DROP_CODE_NAMES } from '../ingest/drop-codes';

export const METRICS_PREFIX = 'segment_braze_';

/** Every endpoint the mapping can send to, so each has a paused series from the start. */
const BRAZE_ENDPOINTS: readonly OutputKind['endpoint'][] = ['/users/track', '/users/identify', '/users/alias/new'];

/** Read at each scrape; the store may answer asynchronously. */
export interface QueueGauges {
  depth(): Promise<number>;
  inbox(): Promise<number>;
  oldestAgeSeconds(): Promise<number>;
  deadLetters(): Promise<number>;
}

/**
 * Every metric the service exports, on one registry. Labels stay low-cardinality: endpoints,
 * message types, closed sets of codes and status classes — never user ids or event names.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly p = METRICS_PREFIX;

  readonly received = new Counter({ name: `${this.p}messages_received_total`, help: 'Segment messages received, by endpoint', labelNames: ['endpoint'] as const, registers: [this.registry] });
  readonly accepted = new Counter({ name: `${this.p}messages_accepted_total`, help: 'Messages acknowledged to the sender (stored in the inbox), by type; retries among them are counted by messages_duplicate_total once the inbox is expanded', labelNames: ['type'] as const, registers: [this.registry] });
  readonly rejected = new Counter({ name: `${this.p}messages_rejected_total`, help: 'Messages refused, by reason code', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly dropped = new Counter({ name: `${this.p}messages_dropped_total`, help: 'Accepted messages the mapping made no Braze object of (neither duplicates nor dead letters), by drop code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly duplicates = new Counter({ name: `${this.p}messages_duplicate_total`, help: 'Messages not queued again because their messageId was seen in the last 24 hours', registers: [this.registry] });
  readonly objectsMapped = new Counter({ name: `${this.p}braze_objects_mapped_total`, help: 'Braze objects produced by the mapping, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly brazeRequests = new Counter({ name: `${this.p}braze_requests_total`, help: 'Requests sent to Braze, by endpoint and status class', labelNames: ['endpoint', 'status_class'] as const, registers: [this.registry] });
  readonly objectsDelivered = new Counter({ name: `${this.p}braze_objects_delivered_total`, help: 'Objects Braze accepted', registers: [this.registry] });
  readonly objectsDryRun = new Counter({ name: `${this.p}braze_objects_dry_run_total`, help: 'Objects built in dry-run and kept, not sent to Braze', registers: [this.registry] });
  /** Set by delivery as it pauses and resumes (it is not read from the worker, which depends on these metrics). */
  readonly deliveryPaused = new Gauge({ name: `${this.p}delivery_paused`, help: '1 while Braze refuses the API key for the endpoint (delivery to it is paused; the other endpoints go on)', labelNames: ['endpoint'] as const, registers: [this.registry] });
  /** Set by the loops themselves as they stall and recover (src/observability/loop-health.ts). */
  readonly loopStalled = new Gauge({ name: `${this.p}loop_stalled`, help: '1 while the loop (expansion, delivery) has work or keeps failing and has made no progress for STALL_AFTER_MS', labelNames: ['loop'] as const, registers: [this.registry] });
  readonly retries = new Counter({ name: `${this.p}delivery_retries_total`, help: 'Objects scheduled for another attempt', registers: [this.registry] });
  readonly deadLettered = new Counter({ name: `${this.p}dead_lettered_objects_total`, help: 'Objects moved to the dead-letter store', registers: [this.registry] });
  readonly inboxTornTails = new Counter({ name: `${this.p}inbox_torn_tails_total`, help: 'Torn inbox tails (a record cut short, zeros or garbage after the last record) cut off at start: appends never acknowledged', registers: [this.registry] });
  readonly rateLimitWaits = new Counter({ name: `${this.p}rate_limit_waits_total`, help: 'Times a request waited for the Braze rate limit', registers: [this.registry] });
  readonly brazeLatency = new Histogram({
    name: `${this.p}braze_request_duration_seconds`,
    help: 'Braze request latency',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly dataPointsSent = new Counter({ name: `${this.p}braze_data_points_sent_total`, help: "Data points Braze accepted, by Braze's rules (each attribute, each key of a nested object, each event or purchase and each of its properties; identifiers and subscription states are free), by kind", labelNames: ['kind'] as const, registers: [this.registry] });
  readonly dataPointsSaved = new Counter({ name: `${this.p}braze_data_points_saved_total`, help: 'Data points not sent because Braze already had the value (unchanged) or a newer one (stale), by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly objectsNotSent = new Counter({ name: `${this.p}braze_objects_unchanged_total`, help: 'Attributes objects acknowledged without being sent: nothing in them had changed since Braze accepted it', registers: [this.registry] });
  readonly mappingReloads = new Counter({ name: `${this.p}mapping_reloads_total`, help: 'Mapping reloads, by result (applied or refused)', labelNames: ['result'] as const, registers: [this.registry] });

  constructor(queue?: QueueGauges) {
    collectDefaultMetrics({ register: this.registry, prefix: this.p });
    // Every code from the start, so that a rate or an alert over them has a series before the first drop.
    for (const code of DROP_CODE_NAMES) this.dropped.inc({ code }, 0);
    for (const endpoint of BRAZE_ENDPOINTS) this.deliveryPaused.set({ endpoint }, 0);
    for (const loop of ['expansion', 'delivery']) this.loopStalled.set({ loop }, 0);
    for (const kind of ['attribute', 'event', 'purchase']) this.dataPointsSent.inc({ kind }, 0);
    for (const reason of ['unchanged', 'stale']) this.dataPointsSaved.inc({ reason }, 0);
    if (!queue) return;
    new Gauge({ name: `${this.p}queue_depth`, help: 'Braze objects waiting for delivery', registers: [this.registry], async collect() { this.set(await queue.depth()); } });
    new Gauge({ name: `${this.p}inbox_messages`, help: 'Accepted messages not yet made into Braze objects', registers: [this.registry], async collect() { this.set(await queue.inbox()); } });
    new Gauge({ name: `${this.p}queue_oldest_age_seconds`, help: 'Age of the oldest pending object', registers: [this.registry], async collect() { this.set(await queue.oldestAgeSeconds()); } });
    new Gauge({ name: `${this.p}dead_letters`, help: 'Objects in the dead-letter store', registers: [this.registry], async collect() { this.set(await queue.deadLetters()); } });
  }
}
