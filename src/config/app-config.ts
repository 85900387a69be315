/** Configuration from the environment, validated once at boot. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly mappingsDir: string;
  readonly dataDir: string;
  /** Empty: every write key is accepted (and the boot log says so). */
  readonly writeKeys: readonly string[];
  readonly webhookSharedSecret: string | undefined;
  readonly brazeRestEndpoint: string | undefined;
  readonly brazeApiKey: string | undefined;
  /** `*` or a list of origins allowed to call the ingestion API from a browser. */
  readonly corsOrigins: '*' | readonly string[];
  readonly adminToken: string | undefined;
  readonly logLevel: LogLevel;
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
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    mappingsDir,
    dataDir,
    writeKeys: Object.freeze(list(env.SEGMENT_WRITE_KEYS)),
    webhookSharedSecret: optional(env.WEBHOOK_SHARED_SECRET),
    brazeRestEndpoint,
    brazeApiKey,
    corsOrigins: corsOrigins === '*' ? '*' : Object.freeze(corsOrigins),
    adminToken: optional(env.ADMIN_TOKEN),
    logLevel: logLevel as LogLevel,
  });
}

export const APP_CONFIG = Symbol('AppConfig');
