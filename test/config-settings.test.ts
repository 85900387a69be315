import { loadConfig, SETTINGS } from '../src/config/app-config';
import { unknownSettingWarnings } from '../src/config/unknown-settings';

/** The names loadConfig reads from an environment where every variable is set to `value`. */
function namesRead(value: string | undefined): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_, name) => (typeof name === 'string' && read.add(name), value),
  });
  try {
    loadConfig(env);
  } catch {
    // Every variable set to "1" is not a valid configuration; what was read is what matters.
  }
  return [...read].sort();
}

describe('the list of settings', () => {
  it('holds exactly the variables the configuration loader reads', () => {
    const read = new Set([...namesRead(undefined), ...namesRead('1')]);
    expect([...read].sort()).toEqual([...SETTINGS].sort());
    expect(new Set(SETTINGS).size).toBe(SETTINGS.length);
  });
});

describe('unknown settings at boot', () => {
  it('names the setting a misspelling was meant to be', () => {
    const env = { BRAZE_APIKEY: 'secret-value', SEGMENT_WRITE_KEY: 'k', MAPPING_DIR: 'm', CORS_ORIGIN: '*', DATADIR: 'd', port: '80', BRAZE_ENDPOINT: 'https://x' };
    expect(unknownSettingWarnings(env)).toEqual([
      'BRAZE_APIKEY is not a setting; did you mean BRAZE_API_KEY?',
      'BRAZE_ENDPOINT is not a setting; did you mean BRAZE_REST_ENDPOINT?',
      'CORS_ORIGIN is not a setting; did you mean CORS_ORIGINS?',
      'DATADIR is not a setting; did you mean DATA_DIR?',
      'MAPPING_DIR is not a setting; did you mean MAPPINGS_DIR?',
      'SEGMENT_WRITE_KEY is not a setting; did you mean SEGMENT_WRITE_KEYS?',
      'port is not a setting; did you mean PORT?',
    ]);
    expect(unknownSettingWarnings({ HTTP_BODY_TIMEOUTMS: '5000', HTTP_MAX_CONNECTION: '10' })).toEqual(['HTTP_BODY_TIMEOUTMS is not a setting; did you mean HTTP_BODY_TIMEOUT_MS?', 'HTTP_MAX_CONNECTION is not a setting; did you mean HTTP_MAX_CONNECTIONS?']);
  });

  it('reports a name in one of our families with nothing close, and never a value', () => {
    const warnings = unknownSettingWarnings({ DELIVERY_WORKERS_PER_CORE: 'secret-value', INBOX_SEGMENT_MEGABYTES: '64' });
    expect(warnings).toEqual(['DELIVERY_WORKERS_PER_CORE is not a setting of segment-braze (README, Configuration, lists them)', 'INBOX_SEGMENT_MEGABYTES is not a setting of segment-braze (README, Configuration, lists them)']);
    expect(warnings.join('\n')).not.toContain('secret-value');
  });

  it("is quiet about our settings and other software's variables, Kubernetes' service links included", () => {
    const env = Object.fromEntries(SETTINGS.map((name) => [name, 'x']));
    const others = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'NO_PROXY', 'HTTP_PORT', 'HOME', 'PATH', 'HOSTNAME', 'USER', 'PWD', 'TERM', 'NODE_ENV', 'NODE_OPTIONS', 'LOG_FORMAT', 'DATA_PATH', 'ADMIN_EMAIL', 'npm_config_cache', 'SEGMENT_BRAZE_SERVICE_HOST', 'SEGMENT_BRAZE_SERVICE_PORT', 'SEGMENT_BRAZE_PORT', 'SEGMENT_BRAZE_PORT_3000_TCP_ADDR'];
    expect(unknownSettingWarnings({ ...env, ...Object.fromEntries(others.map((name) => [name, 'x'])) })).toEqual([]);
  });
});
