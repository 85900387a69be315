/** Configuration from the environment, validated once at boot. */
export interface AppConfig {
  readonly mappingsDir: string;
  readonly logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => '  ' + p).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const problems: string[] = [];
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);
  const mappingsDir = env.MAPPINGS_DIR ?? 'mappings';
  if (mappingsDir.trim() === '') problems.push('MAPPINGS_DIR must not be empty');
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ mappingsDir, logLevel: logLevel as LogLevel });
}

export const APP_CONFIG = Symbol('AppConfig');
