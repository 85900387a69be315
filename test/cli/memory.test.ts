import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeMemory } from '../../src/queue/ports/attribute-memory.port';
import { RedisAttributeMemory } from '../../src/queue/redis/redis-attribute-memory';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { cli } from '../helpers/cli';
import { dropKeys, freshPrefix, openRedisQueue, REDIS_URL } from '../helpers/redis';

const T = Date.parse('2026-11-20T08:00:00.000Z');
const TTL = 30 * 86_400_000;
const entry = (fingerprint: string, eventTime: number | null) => ({ fingerprint, eventTime });

/** A store as the service leaves it, and the environment that names it to the CLI. */
const BACKENDS: [string, () => Promise<{ memory: AttributeMemory; env: NodeJS.ProcessEnv; close(): Promise<void> }>][] = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-cli-memory-'));
      const store = new SqliteQueue(dir, () => Date.now());
      return { memory: store.attributeMemory(TTL), env: { DATA_DIR: dir }, close: () => store.close() };
    },
  ],
  [
    'redis',
    async () => {
      const prefix = freshPrefix();
      const queue = await openRedisQueue(() => Date.now(), prefix);
      return {
        memory: new RedisAttributeMemory(queue, TTL),
        env: { QUEUE: 'redis', REDIS_URL, REDIS_PREFIX: prefix },
        close: async () => {
          await queue.close();
          await dropKeys(prefix);
        },
      };
    },
  ],
];

describe.each(BACKENDS)('segment-braze memory: %s', (_name, open) => {
  let b: Awaited<ReturnType<(typeof BACKENDS)[number][1]>>;
  beforeEach(async () => {
    b = await open();
    await b.memory.remember([
      { user: 'external_id:ada', attributes: new Map([['plan', entry('fp-plan', T)], ['email', entry('fp-mail', null)]]) },
      { user: 'user_alias:anon-1:segment_anonymous_id', attributes: new Map([['home_city', entry('fp-city', T)]]) },
      { user: 'external_id:grace', attributes: new Map([['plan', entry('fp-plan2', T)]]) },
    ]);
  });
  afterEach(() => b?.close());

  it('show: each remembered attribute of a user, by a bare id or a key', async () => {
    const bare = await cli(['memory', 'show', 'ada'], '', undefined, b.env);
    expect(bare).toMatchObject({ code: 0, stderr: '' });
    expect(bare.stdout).toBe(`external_id:ada\temail\tfp-mail\t-\nexternal_id:ada\tplan\tfp-plan\t${new Date(T).toISOString()}\n`);
    const alias = await cli(['memory', 'show', 'user_alias:anon-1:segment_anonymous_id', '--json'], '', undefined, b.env);
    expect(JSON.parse(alias.stdout)).toEqual({ user: 'user_alias:anon-1:segment_anonymous_id', attributes: { home_city: { fingerprint: 'fp-city', eventTime: new Date(T).toISOString() } } });
    expect((await cli(['memory', 'show', 'nobody'], '', undefined, b.env)).stdout).toBe('external_id:nobody: nothing remembered (every attribute is sent)\n');
  });

  it('forget: one user, then everyone', async () => {
    expect(await cli(['memory', 'forget', 'ada'], '', undefined, b.env)).toMatchObject({ code: 0, stdout: 'forgot external_id:ada\n' });
    expect((await b.memory.recall(['external_id:ada', 'external_id:grace'])).has('external_id:ada')).toBe(false);
    expect(await cli(['memory', 'forget', '--all'], '', undefined, b.env)).toMatchObject({ code: 0, stdout: 'forgot 2 user(s)\n' });
    expect(await b.memory.users()).toBe(0);
  });

  it('refuses what it cannot do, with the usage', async () => {
    for (const args of [['memory', 'show'], ['memory', 'forget'], ['memory', 'forget', 'ada', '--all'], ['memory', 'list']]) {
      const run = await cli(args, '', undefined, b.env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^segment-braze: memory .*\n\nUsage: segment-braze memory/);
    }
    expect(await b.memory.users()).toBe(3);
    const ttl = await cli(['memory', 'show', 'ada'], '', undefined, { ...b.env, ATTRIBUTE_MEMORY_TTL_DAYS: 'soon' });
    expect(ttl).toMatchObject({ code: 1, stderr: 'memory: ATTRIBUTE_MEMORY_TTL_DAYS must be an integer from 1 to 3650 (got "soon")\n' });
  });
});
