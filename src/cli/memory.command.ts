import { ConfigError, loadConfig } from '../config/app-config';
import { CliIo } from './io';
import { openStores } from './store-beside';

export interface MemoryOptions {
  readonly action: string;
  readonly users: readonly string[];
  readonly dataDir?: string;
  readonly all: boolean;
  readonly json: boolean;
}

/** The kinds of Braze identifier a memory key starts with (src/delivery/identity-key.ts); a bare id is an external_id. */
const KINDS = ['external_id:', 'braze_id:', 'user_alias:', 'email:', 'phone:'];
export const memoryKeyOf = (user: string) => (KINDS.some((kind) => user.startsWith(kind)) ? user : `external_id:${user}`);

/**
 * `segment-braze memory show USER|forget USER...|--all`: what the service remembers Braze
 * accepted of a user's attributes (and so leaves out while it is unchanged), and forgetting
 * it — for when a profile was changed in Braze by another source, so the next update sends
 * every attribute again.
 */
export async function memoryCommand(o: MemoryOptions, io: CliIo): Promise<number> {
  if (o.action !== 'show' && o.action !== 'forget') throw new TypeError(`memory takes show or forget (got "${o.action}")`);
  if (o.action === 'show' && o.users.length !== 1) throw new TypeError('memory show takes one user');
  if (o.action === 'forget' && o.all === (o.users.length > 0)) throw new TypeError('memory forget takes users or --all, not both');
  const ttlMs = ttlOf(io);
  if (ttlMs === null) return 1;
  const stores = await openStores('memory', o.dataDir, io);
  if (!stores) return 1;
  try {
    const memory = stores.attributeMemory(ttlMs);
    if (o.action === 'forget') {
      if (o.all) io.stdout(`forgot ${await memory.forgetAll()} user(s)\n`);
      else {
        await memory.forget(o.users.map(memoryKeyOf));
        io.stdout(`forgot ${o.users.map(memoryKeyOf).join(', ')}\n`);
      }
      return 0;
    }
    const user = memoryKeyOf(o.users[0]);
    const entries = [...((await memory.recall([user])).get(user) ?? [])].sort(([a], [b]) => a.localeCompare(b));
    if (o.json) io.stdout(JSON.stringify({ user, attributes: Object.fromEntries(entries.map(([name, e]) => [name, { fingerprint: e.fingerprint, eventTime: e.eventTime === null ? null : new Date(e.eventTime).toISOString() }])) }) + '\n');
    else if (entries.length === 0) io.stdout(`${user}: nothing remembered (every attribute is sent)\n`);
    else for (const [name, e] of entries) io.stdout(`${user}\t${name}\t${e.fingerprint}\t${e.eventTime === null ? '-' : new Date(e.eventTime).toISOString()}\n`);
    return 0;
  } finally {
    await stores.close();
  }
}

/** The service's own setting, read and checked as the service reads it. */
function ttlOf(io: CliIo): number | null {
  try {
    return loadConfig({ ATTRIBUTE_MEMORY_TTL_DAYS: io.env.ATTRIBUTE_MEMORY_TTL_DAYS }).attributeMemory.ttlMs;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.stderr(`memory: ${problem}\n`);
    return null;
  }
}
