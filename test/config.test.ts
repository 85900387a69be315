import { ConfigError, loadConfig } from '../src/config/app-config';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      mappingsDir: 'mappings',
      notes: [],
      mappingsWatch: true,
      mappingsDebounceMs: 300,
      mappingsCheckMs: 5000,
      dataDir: './data',
      queue: { kind: 'sqlite' },
      writeKeys: [],
      webhookSharedSecret: undefined,
      webhookSignatureFirstMessage: false,
      brazeRestEndpoint: undefined,
      brazeApiKey: undefined,
      corsOrigins: '*',
      adminToken: undefined,
      playground: false,
      attributeMemory: { enabled: true, ttlMs: 30 * 86_400_000 },
      logLevel: 'info',
      delivery: { flushMs: 200, concurrency: 4, timeoutMs: 10000, trackBatchShape: 'combined', trackBatchSize: 75, maxAttempts: 100, retryBaseMs: 1000, pauseProbeMs: 30000, leaseTtlMs: 30000, sqliteSynchronous: 'NORMAL', expandBatch: 1000, expandSharePercent: 10, stallAfterMs: 120000 },
      disk: { minFreeBytes: 64 * 2 ** 20, reserveBytes: 8 * 2 ** 20 },
      http: { headersTimeoutMs: 10000, bodyTimeoutMs: 20000, keepAliveTimeoutMs: 5000, maxConnections: 'derived' },
    });
  });

  it('reads the front door limits, 0 connections meaning no cap, and names a bad one', () => {
    expect(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_BODY_TIMEOUT_MS: '500', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200', HTTP_MAX_CONNECTIONS: '20' }).http).toEqual({ headersTimeoutMs: 300, bodyTimeoutMs: 500, keepAliveTimeoutMs: 200, maxConnections: 20 });
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: '0' }).http.maxConnections).toBe(0);
    expect(loadConfig({ HTTP_MAX_CONNECTIONS: ' ' }).http.maxConnections).toBe('derived');
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '0' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS must be an integer from 100 to 600000 \(got "0"\)/);
    expect(() => loadConfig({ HTTP_BODY_TIMEOUT_MS: '20s' })).toThrow(/HTTP_BODY_TIMEOUT_MS must be an integer from 100 to 600000/);
    // 0 would let an idle keep-alive connection stay for ever.
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS must be an integer from 100 to 600000/);
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: '-1' })).toThrow(/HTTP_MAX_CONNECTIONS must be an integer from 0 to 1000000 \(got "-1"\)/);
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: 'auto' })).toThrow(/HTTP_MAX_CONNECTIONS must be an integer/);
  });

  it('reads lists and trims the Braze endpoint', () => {
    const config = loadConfig({ SEGMENT_WRITE_KEYS: ' a, b ,,', CORS_ORIGINS: 'https://a.example.com,http://localhost:8080', BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com/', BRAZE_API_KEY: 'k' });
    expect(config.writeKeys).toEqual(['a', 'b']);
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'http://localhost:8080']);
    expect(config.brazeRestEndpoint).toBe('https://rest.iad-01.braze.com');
  });

  it('reports every problem at once, naming variables but never secret values', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', BRAZE_REST_ENDPOINT: 'ftp://x', CORS_ORIGINS: 'example.com', BRAZE_API_KEY: undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/BRAZE_REST_ENDPOINT must be/);
    expect(problems).toMatch(/go together/);
    expect(problems).toMatch(/CORS_ORIGINS/);
    expect(() => loadConfig({ BRAZE_TRACK_BATCH_SIZE: '76' })).toThrow(/BRAZE_TRACK_BATCH_SIZE must be an integer from 1 to 75/);
    expect(() => loadConfig({ STALL_AFTER_MS: '999' })).toThrow(/STALL_AFTER_MS must be an integer from 1000 to 86400000/);
    expect(() => loadConfig({ DATA_DIR_MIN_FREE_MB: '0' })).toThrow(/DATA_DIR_MIN_FREE_MB must be an integer from 1 to/);
    expect(loadConfig({ DATA_DIR_MIN_FREE_MB: '6', DATA_DIR_RESERVE_MB: '0' }).disk).toEqual({ minFreeBytes: 6 * 2 ** 20, reserveBytes: 0 });
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(/SQLITE_SYNCHRONOUS/);
    expect(loadConfig({}).attributeMemory).toEqual({ enabled: true, ttlMs: 30 * 86_400_000 });
    expect(loadConfig({ ATTRIBUTE_MEMORY: 'false', ATTRIBUTE_MEMORY_TTL_DAYS: '7' }).attributeMemory).toEqual({ enabled: false, ttlMs: 7 * 86_400_000 });
    expect(() => loadConfig({ ATTRIBUTE_MEMORY: 'off' })).toThrow(/ATTRIBUTE_MEMORY must be true or false \(got "off"\)/);
    expect(() => loadConfig({ ATTRIBUTE_MEMORY_TTL_DAYS: '0' })).toThrow(/ATTRIBUTE_MEMORY_TTL_DAYS must be an integer from 1 to 3650/);
    expect(() => loadConfig({ BRAZE_TRACK_BATCH_SHAPE: 'array' })).toThrow(/BRAZE_TRACK_BATCH_SHAPE must be combined or per-array \(got "array"\)/);
    // The setting it replaces is still read, with a note, so that an upgrade does not stop a service that set it.
    const fifty = loadConfig({ BRAZE_TRACK_COMBINED_LIMIT: '50' });
    expect(fifty.delivery).toMatchObject({ trackBatchShape: 'combined', trackBatchSize: 50 });
    expect(fifty.notes).toEqual([expect.stringMatching(/BRAZE_TRACK_COMBINED_LIMIT=50 is read as BRAZE_TRACK_BATCH_SIZE=50/)]);
    expect(loadConfig({ BRAZE_TRACK_COMBINED_LIMIT: '225' }).delivery).toMatchObject({ trackBatchShape: 'per-array', trackBatchSize: 75 });
    expect(() => loadConfig({ BRAZE_TRACK_COMBINED_LIMIT: '50', BRAZE_TRACK_BATCH_SIZE: '50' })).toThrow(/BRAZE_TRACK_COMBINED_LIMIT is replaced/);
    expect(() => loadConfig({ BRAZE_TRACK_COMBINED_LIMIT: '0' })).toThrow(/BRAZE_TRACK_COMBINED_LIMIT must be an integer from 1 to 225/);
    expect(loadConfig({}).notes).toEqual([]);
    expect(loadConfig({ BRAZE_TRACK_BATCH_SHAPE: 'PER-ARRAY', BRAZE_TRACK_BATCH_SIZE: '50' }).delivery).toMatchObject({ trackBatchShape: 'per-array', trackBatchSize: 50 });
    expect(() => loadConfig({ BRAZE_API_KEY: 'super-secret-key' })).toThrow(/go together/);
    expect(() => loadConfig({ BRAZE_API_KEY: 'super-secret-key' })).not.toThrow(/super-secret-key/);
  });

  it('chooses the queue backend: the embedded store by default, Redis with its URL and prefix, and names a bad one without its password', () => {
    expect(loadConfig({ REDIS_URL: 'redis://elsewhere:6379' }).queue).toEqual({ kind: 'sqlite' });
    expect(loadConfig({ QUEUE: 'REDIS' }).queue).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'sb:{q}:' });
    expect(loadConfig({ QUEUE: 'redis', REDIS_URL: 'rediss://:pw@cache:6380/2', REDIS_PREFIX: 'eu:{sb}:' }).queue).toEqual({ kind: 'redis', url: 'rediss://:pw@cache:6380/2', prefix: 'eu:{sb}:' });
    expect(() => loadConfig({ QUEUE: 'kafka' })).toThrow(/QUEUE must be sqlite or redis \(got "kafka"\)/);
    expect(() => loadConfig({ QUEUE: 'redis', REDIS_URL: 'http://:hunter2@cache' })).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => loadConfig({ QUEUE: 'redis', REDIS_URL: 'http://:hunter2@cache' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ QUEUE: 'redis', REDIS_PREFIX: 'sb:' })).toThrow(/REDIS_PREFIX must hold one hash tag/);
    expect(() => loadConfig({ QUEUE: 'redis', REDIS_PREFIX: 'sb:{a}{b}:' })).toThrow(/REDIS_PREFIX must hold one hash tag/);
  });

  it('reads INBOX_EXPANDER, now gone, into a note instead of stopping the boot, whatever its value', () => {
    const gone = 'INBOX_EXPANDER is gone: the expansion always runs on its own thread; remove the setting';
    for (const value of ['loop', 'thread', 'LOOP', 'fork']) {
      const config = loadConfig({ INBOX_EXPANDER: value });
      expect(config.notes).toEqual([gone]);
      expect(config.delivery).toEqual(loadConfig({}).delivery);
    }
    expect(loadConfig({ INBOX_EXPANDER: ' ' }).notes).toEqual([]);
  });
});
