import { readFileSync } from 'node:fs';
import type { HttpLimits } from '../config/app-config';

/**
 * What the cap leaves to everything else the process opens: the SQLite store (database, WAL,
 * shared memory and inbox segments, twice: the expansion thread opens its own), Redis
 * connections, the sockets to Braze, the mapping watcher, stdio. A quarter of the limit, and
 * never fewer than 128 descriptors.
 */
export const reservedDescriptors = (openFileLimit: number) => Math.max(128, Math.ceil(openFileLimit / 4));

/** Where the open-file limit is unlimited or cannot be read (not Linux, not macOS). */
export const FALLBACK_MAX_CONNECTIONS = 10_000;

/** The fewest connections a derived cap allows, however low the open-file limit. */
const FLOOR = 16;

/** The process's soft limit on open files (RLIMIT_NOFILE); undefined when unlimited or unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line) return /^\d+$/.test(line[1]) ? Number(line[1]) : undefined;
  } catch {
    // Not Linux: the diagnostic report has it on every POSIX system.
  }
  const report = process.report?.getReport() as { userLimits?: { open_files?: { soft?: unknown } } } | undefined;
  const soft = report?.userLimits?.open_files?.soft;
  return typeof soft === 'number' && Number.isFinite(soft) ? soft : undefined;
}

export interface ConnectionCap {
  /** 0: no cap. */
  readonly maxConnections: number;
  /** How it was chosen, for the boot log. */
  readonly reason: string;
}

/**
 * HTTP_MAX_CONNECTIONS as set (0: no cap), or derived from the open-file limit so that a
 * flood of connections is refused before it takes the descriptors the store and delivery
 * need: 22,000 idle connections once hit the limit and delivery to Braze failed with EMFILE.
 */
export function connectionCap(setting: HttpLimits['maxConnections'], limit: number | undefined): ConnectionCap {
  if (setting !== 'derived') {
    const over = limit !== undefined && setting > limit - reservedDescriptors(limit);
    const note = over ? `, which leaves the rest of the process less than ${reservedDescriptors(limit)} of the open-file limit ${limit}` : '';
    return { maxConnections: setting, reason: setting === 0 ? 'no cap (HTTP_MAX_CONNECTIONS=0)' : `HTTP_MAX_CONNECTIONS=${setting}${note}` };
  }
  if (limit === undefined) return { maxConnections: FALLBACK_MAX_CONNECTIONS, reason: 'the open-file limit is unlimited or unknown' };
  const maxConnections = Math.max(FLOOR, limit - reservedDescriptors(limit));
  return { maxConnections, reason: `open-file limit ${limit}, ${limit - maxConnections} kept for the store, Redis and Braze` };
}
