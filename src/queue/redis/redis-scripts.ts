import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';

/** The scripts live in src/ beside this file; `dist/queue/redis` and `src/queue/redis` both reach them this way (tsc copies no .lua). */
const SCRIPTS_DIR = join(__dirname, '..', '..', '..', 'src', 'queue', 'redis');
const SCRIPTS = ['accept', 'commit', 'turn', 'forget-readers', 'lease', 'extend', 'settle', 'sweep', 'prune', 'replay', 'purge', 'keep-dry-run', 'forget', 'budget-take', 'budget-observe', 'budget-block', 'pause', 'resume', 'probe', 'remember-attributes'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

type Reply = unknown;
/** Every script takes the prefix's `seq` key (for cluster routing) and the prefix, then its own arguments. */
type Arg = string | number | Buffer;
/** An array argument stands for its elements (ioredis flattens it): a batch's many fields travel without a spread. */
export type RunScript = (name: ScriptName, ...args: (Arg | readonly Arg[])[]) => Promise<Reply>;

/** Loads each script behind the shared Lua library as an ioredis command (EVALSHA, loading it again after a restart of Redis). */
export function defineScripts(client: Redis, prefix: string): RunScript {
  const lib = readFileSync(join(SCRIPTS_DIR, 'lib.lua'), 'utf8');
  for (const name of SCRIPTS) client.defineCommand(`sb_${name}`, { numberOfKeys: 1, lua: `${lib}\n${readFileSync(join(SCRIPTS_DIR, `${name}.lua`), 'utf8')}` });
  const commands = client as unknown as Record<string, (...args: (Arg | readonly Arg[])[]) => Promise<Reply>>;
  return (name, ...args) => commands[`sb_${name}`](`${prefix}seq`, prefix, ...args);
}
