import { TRACK_COMBINED_LIMIT } from '../engine/requests';
/** Configuration from the environment, validated once at boot. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How an account counts /users/track objects (shared/reference, limits): `combined` is
 * Braze's current limit (75 across the three arrays; 50 on MAU plans), `per-array` the
 * legacy one (75 in each array, so up to 225 in a request).
 */
export type TrackBatchShape = 'combined' | 'per-array';

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly mappingsDir: string;
  /** Reload mappings when files in MAPPINGS_DIR change. */
  readonly mappingsWatch: boolean;
  readonly mappingsDebounceMs: number;
  /** How often the mapping files' content is compared with what is serving, in case a change event was missed; 0: never. */
  readonly mappingsCheckMs: number;
  readonly dataDir: string;
  /** Where queued work lives: the embedded store in DATA_DIR (one process), or Redis (several instances). */
  readonly queue: QueueBackend;
  /** Empty: every write key is accepted (and the boot log says so). */
  readonly writeKeys: readonly string[];
  readonly webhookSharedSecret: string | undefined;
  /** Accept a webhook array whose signature covers only its first message (the rest is then unsigned). */
  readonly webhookSignatureFirstMessage: boolean;
  readonly brazeRestEndpoint: string | undefined;
  readonly brazeApiKey: string | undefined;
  /** `*` or a list of origins allowed to call the ingestion API from a browser. */
  readonly corsOrigins: '*' | readonly string[];
  readonly adminToken: string | undefined;
  /** Serve the mapping playground at /playground (behind ADMIN_TOKEN when one is set). */
  readonly playground: boolean;
  readonly logLevel: LogLevel;
  /** What boot should say about the settings given (a replaced setting still read, say). */
  readonly notes: readonly string[];
  readonly delivery: DeliveryConfig;
  /** What DATA_DIR keeps free for the embedded store (disk-space.ts), in bytes. */
  readonly disk: { readonly minFreeBytes: number; readonly reserveBytes: number };
  /** Send only attributes that changed since Braze accepted them (ATTRIBUTE_MEMORY), and how long a remembered value counts (ATTRIBUTE_MEMORY_TTL_DAYS). */
  readonly attributeMemory: { readonly enabled: boolean; readonly ttlMs: number };
  readonly http: HttpLimits;
}

/** How long and how many peers may hold the HTTP server (src/http/front-door.ts). */
export interface HttpLimits {
  /** The whole header block, from the connection (or the request's first byte) on. */
  readonly headersTimeoutMs: number;
  /** The whole body, in total (not between chunks), from when it starts being read. */
  readonly bodyTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** Connections open at once; 0: no cap; `derived`: from the open-file limit at boot. */
  readonly maxConnections: number | 'derived';
}

export type QueueBackend = { readonly kind: 'sqlite' } | { readonly kind: 'redis'; readonly url: string; readonly prefix: string };

export interface DeliveryConfig {
  /** How long a partly filled batch waits for more objects. */
  readonly flushMs: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** How the Braze account counts /users/track objects: across the three arrays (current) or per array (legacy). */
  readonly trackBatchShape: TrackBatchShape;
  /** Objects per /users/track request (combined) or per array (per-array). */
  readonly trackBatchSize: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly pauseProbeMs: number;
  /** How long a lease holds the objects of a round unless extended (the worker extends it while requests are in flight). */
  readonly leaseTtlMs: number;
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Messages made into work per inbox transaction. */
  readonly expandBatch: number;
  /** The share of its time the expansion thread takes while requests saturate the request path's event loop, in percent. */
  readonly expandSharePercent: number;
  /** After how long without progress a loop with work (the expansion, delivery) counts as stalled, on /health/delivery and the metrics. */
  readonly stallAfterMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => '  ' + p).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Never echoes secret values: messages name the variable, not its content. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const problems: string[] = [];
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer from 0 to 65535 (got "${env.PORT}")`);
  const host = optional(env.HOST) ?? '127.0.0.1';
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);
  const mappingsDir = optional(env.MAPPINGS_DIR) ?? 'mappings';
  const dataDir = optional(env.DATA_DIR) ?? './data';
  const brazeRestEndpoint = optional(env.BRAZE_REST_ENDPOINT)?.replace(/\/+$/, '');
  if (brazeRestEndpoint !== undefined) {
    try {
      const url = new URL(brazeRestEndpoint);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
    } catch {
      problems.push(`BRAZE_REST_ENDPOINT must be an http(s) URL such as https://rest.iad-01.braze.com (got "${brazeRestEndpoint}")`);
    }
  }
  const brazeApiKey = optional(env.BRAZE_API_KEY);
  if ((brazeRestEndpoint === undefined) !== (brazeApiKey === undefined)) {
    problems.push('BRAZE_REST_ENDPOINT and BRAZE_API_KEY go together: set both to deliver, or neither for dry-run');
  }
  const origins = list(env.CORS_ORIGINS ?? '*');
  const corsOrigins = origins.includes('*') ? '*' : origins;
  for (const origin of corsOrigins === '*' ? [] : corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS entries must be origins like https://app.example.com (got "${origin}")`);
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = optional(env[name]);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const synchronous = (optional(env.SQLITE_SYNCHRONOUS) ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') problems.push(`SQLITE_SYNCHRONOUS must be NORMAL or FULL (got "${env.SQLITE_SYNCHRONOUS}")`);
  const watchFlag = (optional(env.MAPPINGS_WATCH) ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(watchFlag)) problems.push(`MAPPINGS_WATCH must be true or false (got "${env.MAPPINGS_WATCH}")`);
  const playgroundFlag = (optional(env.PLAYGROUND) ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(playgroundFlag)) problems.push(`PLAYGROUND must be true or false (got "${env.PLAYGROUND}")`);
  const firstMessageFlag = (optional(env.WEBHOOK_SIGNATURE_FIRST_MESSAGE) ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(firstMessageFlag)) problems.push(`WEBHOOK_SIGNATURE_FIRST_MESSAGE must be true or false (got "${env.WEBHOOK_SIGNATURE_FIRST_MESSAGE}")`);
  const mappingsDebounceMs = int('MAPPINGS_DEBOUNCE_MS', 300, 0, 60_000);
  const mappingsCheckMs = int('MAPPINGS_CHECK_MS', 5000, 0, 3_600_000);
  const notes: string[] = [];
  const queue = queueBackend(env, problems);
  // Chose between the thread and the request path's loop: a deployment that still sets it boots as before.
  if (optional(env.INBOX_EXPANDER) !== undefined) notes.push('INBOX_EXPANDER is gone: the expansion always runs on its own thread; remove the setting');
  const legacy = legacyCombinedLimit(env, int, problems, notes);
  const trackShape = (optional(env.BRAZE_TRACK_BATCH_SHAPE) ?? legacy?.shape ?? 'combined').toLowerCase();
  if (trackShape !== 'combined' && trackShape !== 'per-array') problems.push(`BRAZE_TRACK_BATCH_SHAPE must be combined or per-array (got "${env.BRAZE_TRACK_BATCH_SHAPE}")`);
  const delivery: DeliveryConfig = {
    flushMs: int('DELIVERY_FLUSH_MS', 200, 1, 60_000),
    concurrency: int('DELIVERY_CONCURRENCY', 4, 1, 64),
    timeoutMs: int('BRAZE_TIMEOUT_MS', 10_000, 100, 120_000),
    trackBatchShape: trackShape === 'per-array' ? 'per-array' : 'combined',
    trackBatchSize: int('BRAZE_TRACK_BATCH_SIZE', legacy?.size ?? TRACK_COMBINED_LIMIT, 1, TRACK_COMBINED_LIMIT),
    maxAttempts: int('DELIVERY_MAX_ATTEMPTS', 100, 1, 10_000),
    retryBaseMs: int('DELIVERY_RETRY_BASE_MS', 1000, 1, 600_000),
    pauseProbeMs: int('DELIVERY_PAUSE_PROBE_MS', 30_000, 10, 3_600_000),
    leaseTtlMs: int('DELIVERY_LEASE_TTL_MS', 30_000, 100, 3_600_000),
    sqliteSynchronous: synchronous === 'FULL' ? 'FULL' : 'NORMAL',
    expandBatch: int('INBOX_EXPAND_BATCH', 1000, 1, 100_000),
    expandSharePercent: int('INBOX_EXPAND_SHARE_PERCENT', 10, 1, 100),
    stallAfterMs: int('STALL_AFTER_MS', 120_000, 1000, 86_400_000),
  };
  const maxConnections = optional(env.HTTP_MAX_CONNECTIONS) === undefined ? 'derived' : int('HTTP_MAX_CONNECTIONS', 0, 0, 1_000_000);
  const http: HttpLimits = {
    headersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyTimeoutMs: int('HTTP_BODY_TIMEOUT_MS', 20_000, 100, 600_000),
    keepAliveTimeoutMs: int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000),
    maxConnections,
  };
  const disk = { minFreeBytes: int('DATA_DIR_MIN_FREE_MB', 64, 1, 1_048_576) * 2 ** 20, reserveBytes: int('DATA_DIR_RESERVE_MB', 8, 0, 65_536) * 2 ** 20 };
  const memoryFlag = (optional(env.ATTRIBUTE_MEMORY) ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(memoryFlag)) problems.push(`ATTRIBUTE_MEMORY must be true or false (got "${env.ATTRIBUTE_MEMORY}")`);
  const attributeMemory = { enabled: memoryFlag === 'true' || memoryFlag === '1', ttlMs: int('ATTRIBUTE_MEMORY_TTL_DAYS', 30, 1, 3650) * 86_400_000 };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    mappingsDir,
    mappingsWatch: watchFlag === 'true' || watchFlag === '1',
    mappingsDebounceMs,
    mappingsCheckMs,
    dataDir,
    queue: Object.freeze(queue),
    writeKeys: Object.freeze(list(env.SEGMENT_WRITE_KEYS)),
    webhookSharedSecret: optional(env.WEBHOOK_SHARED_SECRET),
    webhookSignatureFirstMessage: firstMessageFlag === 'true' || firstMessageFlag === '1',
    brazeRestEndpoint,
    brazeApiKey,
    corsOrigins: corsOrigins === '*' ? '*' : Object.freeze(corsOrigins),
    adminToken: optional(env.ADMIN_TOKEN),
    playground: playgroundFlag === 'true' || playgroundFlag === '1',
    logLevel: logLevel as LogLevel,
    notes: Object.freeze(notes),
    delivery: Object.freeze(delivery),
    disk: Object.freeze(disk),
    attributeMemory: Object.freeze(attributeMemory),
    http: Object.freeze(http),
  });
}

export const APP_CONFIG = Symbol('AppConfig');

/** Every key starts with it, and every instance on one Redis and one prefix shares one queue. The braces are a hash tag: Redis Cluster keeps all the keys on one slot, so the scripts may touch any of them. */
export const DEFAULT_REDIS_PREFIX = 'sb:{q}:';

function queueBackend(env: NodeJS.ProcessEnv, problems: string[]): QueueBackend {
  const kind = (optional(env.QUEUE) ?? 'sqlite').toLowerCase();
  const url = optional(env.REDIS_URL) ?? 'redis://127.0.0.1:6379';
  const prefix = optional(env.REDIS_PREFIX) ?? DEFAULT_REDIS_PREFIX;
  if (kind !== 'sqlite' && kind !== 'redis') {
    problems.push(`QUEUE must be sqlite or redis (got "${env.QUEUE}")`);
    return { kind: 'sqlite' };
  }
  if (kind === 'sqlite') return { kind: 'sqlite' };
  // Only the scheme is checked and named: the URL may carry a password.
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) problems.push('REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
  if (!/^[^\s{}]*\{[^\s{}]+\}[^\s{}]*$/.test(prefix)) problems.push(`REDIS_PREFIX must hold one hash tag in braces, such as sb:{q}: (got "${prefix}")`);
  return { kind, url, prefix };
}

/**
 * BRAZE_TRACK_COMBINED_LIMIT, from before the batch shape setting: still read, so that an
 * upgrade does not stop a service that set it, as the size of a combined request (or, over
 * 75, as the legacy per-array shape it could only have meant), with a note to replace it.
 */
function legacyCombinedLimit(env: NodeJS.ProcessEnv, int: (name: string, fallback: number, min: number, max: number) => number, problems: string[], notes: string[]): { shape: string; size?: number } | null {
  if (optional(env.BRAZE_TRACK_COMBINED_LIMIT) === undefined) return null;
  if (optional(env.BRAZE_TRACK_BATCH_SHAPE) !== undefined || optional(env.BRAZE_TRACK_BATCH_SIZE) !== undefined) {
    problems.push('BRAZE_TRACK_COMBINED_LIMIT is replaced by BRAZE_TRACK_BATCH_SHAPE and BRAZE_TRACK_BATCH_SIZE: set only those');
    return null;
  }
  const limit = int('BRAZE_TRACK_COMBINED_LIMIT', 75, 1, 225);
  if (limit <= 75) {
    notes.push(`BRAZE_TRACK_COMBINED_LIMIT=${limit} is read as BRAZE_TRACK_BATCH_SIZE=${limit} (the combined shape, the default); it is replaced: set BRAZE_TRACK_BATCH_SIZE instead`);
    return { shape: 'combined', size: limit };
  }
  notes.push(`BRAZE_TRACK_COMBINED_LIMIT=${limit} is read as BRAZE_TRACK_BATCH_SHAPE=per-array (75 per array, Braze's legacy limits); it is replaced: set BRAZE_TRACK_BATCH_SHAPE instead`);
  return { shape: 'per-array' };
}

/**
 * Every environment variable the service reads, written once: boot warns about names close
 * to these that are not among them (unknown-settings.ts), and a test holds this list to what
 * loadConfig reads.
 */
export const SETTINGS: readonly string[] = Object.freeze([
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'MAPPINGS_DIR',
  'MAPPINGS_WATCH',
  'MAPPINGS_DEBOUNCE_MS',
  'MAPPINGS_CHECK_MS',
  'DATA_DIR',
  'DATA_DIR_MIN_FREE_MB',
  'DATA_DIR_RESERVE_MB',
  'QUEUE',
  'REDIS_URL',
  'REDIS_PREFIX',
  'SEGMENT_WRITE_KEYS',
  'WEBHOOK_SHARED_SECRET',
  'WEBHOOK_SIGNATURE_FIRST_MESSAGE',
  'ADMIN_TOKEN',
  'PLAYGROUND',
  'CORS_ORIGINS',
  'BRAZE_REST_ENDPOINT',
  'BRAZE_API_KEY',
  'BRAZE_TIMEOUT_MS',
  'BRAZE_TRACK_BATCH_SIZE',
  'BRAZE_TRACK_BATCH_SHAPE',
  'BRAZE_TRACK_COMBINED_LIMIT',
  'DELIVERY_FLUSH_MS',
  'DELIVERY_CONCURRENCY',
  'DELIVERY_MAX_ATTEMPTS',
  'DELIVERY_RETRY_BASE_MS',
  'DELIVERY_PAUSE_PROBE_MS',
  'DELIVERY_LEASE_TTL_MS',
  'SQLITE_SYNCHRONOUS',
  'INBOX_EXPANDER',
  'INBOX_EXPAND_BATCH',
  'INBOX_EXPAND_SHARE_PERCENT',
  'STALL_AFTER_MS',
  'ATTRIBUTE_MEMORY',
  'ATTRIBUTE_MEMORY_TTL_DAYS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_BODY_TIMEOUT_MS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS',
]);
