import Redis, { RedisOptions } from 'ioredis';

export interface RedisConnectOptions {
  /** How long the first connection may take before opening gives up. */
  readonly connectTimeoutMs?: number;
  /** How long one command may wait for its answer once sent. */
  readonly commandTimeoutMs?: number;
}

/**
 * How every connection of the service behaves while Redis is away: a command fails at once
 * instead of waiting in ioredis's offline queue (so a request is answered 503 and its client
 * retries, rather than held open), a sent command gives up after `commandTimeoutMs`, and the
 * connection keeps reconnecting by itself, at most every 2 s, for as long as it takes.
 */
function optionsFor(options: RedisConnectOptions, subscriber: boolean): RedisOptions {
  return {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // ioredis waits that long for a socket that already closed (a refused connection) before it lets go.
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(50 * attempt, 2000),
    // A subscriber's SUBSCRIBE must survive a reconnection: ioredis queues and re-sends it.
    ...(subscriber ? {} : { enableOfflineQueue: false, commandTimeout: options.commandTimeoutMs ?? 5000, maxRetriesPerRequest: 0 }),
  };
}

/**
 * Connects or fails with why (ECONNREFUSED, NOAUTH, …), naming the URL without its password:
 * an unreachable Redis at start is a plain error at once, not a retry loop.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}, role: 'commands' | 'subscriber' = 'commands'): Promise<Redis> {
  const client = new Redis(url, optionsFor(options, role === 'subscriber'));
  // The first connection error says why; connect() itself rejects with "Connection is closed".
  let why: Error | undefined;
  // Reported by commands and health() once open; without a listener ioredis would print every reconnection failure.
  client.on('error', (error: Error) => (why ??= error));
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis at ${redactedUrl(url)} is not reachable: ${(why ?? (error as Error)).message}`);
  }
}

/** Closes a connection: QUIT when it is up, else drops it (QUIT would wait for a Redis that may not come back). */
export async function endRedis(connection: Redis): Promise<void> {
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}

/** The URL without its password: it goes into error messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable REDIS_URL)';
  }
}

/**
 * What the boot log says about Redis's settings: "nothing acknowledged is lost" holds only
 * with the append-only file on (and, with `appendfsync everysec`, for all but about the last
 * second of writes when Redis's machine crashes), and only if Redis never evicts a key to
 * make room.
 */
export async function durabilityWarnings(client: Redis): Promise<string[]> {
  const settings = new Map<string, string>();
  try {
    for (const pattern of ['append*', 'maxmemory-policy']) {
      const reply = (await client.config('GET', pattern)) as string[];
      for (let i = 0; i + 1 < reply.length; i += 2) settings.set(reply[i], reply[i + 1]);
    }
  } catch (error) {
    // Managed Redis services often rename or forbid CONFIG.
    return [`could not read Redis's settings (${(error as Error).message}): make sure it runs with appendonly yes, appendfsync always (or everysec) and maxmemory-policy noeviction, or acknowledged requests can be lost`];
  }
  const warnings: string[] = [];
  const appendfsync = settings.get('appendfsync');
  if (settings.get('appendonly') !== 'yes') warnings.push('Redis runs without the append-only file (appendonly no): a Redis restart loses every request and object it holds, acknowledged or not. Set appendonly yes and appendfsync always (or everysec)');
  else if (appendfsync === 'no') warnings.push('Redis runs with appendfsync no: a crash of its machine can lose an unbounded window of acknowledged requests. Set appendfsync always (or everysec, which can lose about the last second)');
  else if (appendfsync === 'everysec') warnings.push('Redis runs with appendfsync everysec: a crash of its machine (not of Redis alone) can lose about the last second of acknowledged requests; appendfsync always loses none');
  const policy = settings.get('maxmemory-policy');
  if (policy !== undefined && policy !== 'noeviction') warnings.push(`Redis runs with maxmemory-policy ${policy}: when it fills up it deletes keys, queued work and acknowledged requests among them. Set maxmemory-policy noeviction (a full Redis then refuses writes, and ingestion answers 503)`);
  return warnings;
}
