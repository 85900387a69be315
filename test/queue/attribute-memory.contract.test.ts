import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeMemory, RememberedAttribute } from '../../src/queue/ports/attribute-memory.port';
import { RedisAttributeMemory } from '../../src/queue/redis/redis-attribute-memory';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { dropKeys, freshPrefix, openRedisQueue } from '../helpers/redis';

const DAY = 86_400_000;
const TTL = 30 * DAY;

/** A backend's memory, re-openable on the same file or the same Redis prefix (a restart). */
interface Opened {
  readonly memory: AttributeMemory;
  close(): Promise<void>;
}
type Open = (now: () => number) => Promise<Opened>;

const BACKENDS: [string, () => { open: Open; drop(): Promise<void> }][] = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-attrs-'));
      return {
        open: async (now) => {
          const store = new SqliteQueue(dir, now);
          return { memory: store.attributeMemory(TTL), close: () => store.close() };
        },
        drop: async () => {},
      };
    },
  ],
  [
    'redis',
    () => {
      const prefix = freshPrefix();
      return {
        open: async (now) => {
          const queue = await openRedisQueue(now, prefix);
          return { memory: new RedisAttributeMemory(queue, TTL), close: () => queue.close() };
        },
        drop: () => dropKeys(prefix),
      };
    },
  ],
];

const T = Date.parse('2026-11-01T12:00:00.000Z');
const entry = (fingerprint: string, eventTime: number | null): RememberedAttribute => ({ fingerprint, eventTime });
const attrs = (pairs: Record<string, RememberedAttribute>) => new Map(Object.entries(pairs));
const plain = (recalled: ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>>) =>
  Object.fromEntries([...recalled].map(([user, entries]) => [user, Object.fromEntries(entries)]));

describe.each(BACKENDS)('the attribute memory: %s', (_name, backend) => {
  let clock: number;
  let b: ReturnType<typeof backend>;
  let opened: Opened;
  let memory: AttributeMemory;
  beforeEach(async () => {
    clock = T;
    b = backend();
    opened = await b.open(() => clock);
    memory = opened.memory;
  });
  afterEach(async () => {
    await opened?.close();
    await b?.drop();
  });

  it('recalls nothing of users it never heard of, and nothing for no users', async () => {
    expect(plain(await memory.recall(['external_id:nobody']))).toEqual({});
    expect(plain(await memory.recall([]))).toEqual({});
    expect(await memory.users()).toBe(0);
  });

  it('recalls what it remembered, per user and attribute, in one call for many users', async () => {
    await memory.remember([
      { user: 'external_id:a', attributes: attrs({ plan: entry('fp-pro', T - 10), email: entry('fp-mail', null) }) },
      { user: 'user_alias:anon:segment_anonymous_id', attributes: attrs({ 'odd name with spaces': entry('fp-x', T) }) },
    ]);
    expect(plain(await memory.recall(['external_id:a', 'user_alias:anon:segment_anonymous_id', 'external_id:b']))).toEqual({
      'external_id:a': { plan: entry('fp-pro', T - 10), email: entry('fp-mail', null) },
      'user_alias:anon:segment_anonymous_id': { 'odd name with spaces': entry('fp-x', T) },
    });
    expect(await memory.users()).toBe(2);
  });

  it('keeps the entry with the later event time: a late message does not make an older value the remembered one', async () => {
    await memory.remember([{ user: 'u', attributes: attrs({ email: entry('new', T), plan: entry('p1', T) }) }]);
    await memory.remember([{ user: 'u', attributes: attrs({ email: entry('old', T - 1000), plan: entry('p2', T + 1000) }) }]);
    expect(plain(await memory.recall(['u']))).toEqual({ u: { email: entry('new', T), plan: entry('p2', T + 1000) } });
  });

  it('an unknown event time, on either side, never keeps a write out', async () => {
    await memory.remember([{ user: 'u', attributes: attrs({ a: entry('a1', T), b: entry('b1', null) }) }]);
    await memory.remember([{ user: 'u', attributes: attrs({ a: entry('a2', null), b: entry('b2', T - 5000) }) }]);
    expect(plain(await memory.recall(['u']))).toEqual({ u: { a: entry('a2', null), b: entry('b2', T - 5000) } });
  });

  it('an entry expires ttl after it was written; one written again lives on', async () => {
    await memory.remember([{ user: 'u', attributes: attrs({ a: entry('a1', T), b: entry('b1', T) }) }]);
    clock = T + TTL - DAY;
    await memory.remember([{ user: 'u', attributes: attrs({ b: entry('b2', T + 1) }) }]);
    clock = T + TTL;
    expect(plain(await memory.recall(['u']))).toEqual({ u: { b: entry('b2', T + 1) } });
    clock = T + 2 * TTL;
    expect(plain(await memory.recall(['u']))).toEqual({});
  });

  it('forgets one user wholly, and everyone with a count', async () => {
    await memory.remember(['a', 'b', 'c'].map((user) => ({ user, attributes: attrs({ plan: entry('p', T) }) })));
    await memory.forget(['b', 'never-seen']);
    expect(Object.keys(plain(await memory.recall(['a', 'b', 'c'])))).toEqual(['a', 'c']);
    expect(await memory.forgetAll()).toBe(2);
    expect(plain(await memory.recall(['a', 'c']))).toEqual({});
    expect(await memory.users()).toBe(0);
  });

  it('survives a restart: what was remembered is recalled by the store opened again', async () => {
    await memory.remember([{ user: 'u', attributes: attrs({ plan: entry('p', T) }) }]);
    await opened.close();
    opened = await b.open(() => clock);
    memory = opened.memory;
    expect(plain(await memory.recall(['u']))).toEqual({ u: { plan: entry('p', T) } });
  });

  it('a round of thousands of users in one call each way', async () => {
    const users = Array.from({ length: 2000 }, (_, i) => `external_id:u${i}`);
    await memory.remember(users.map((user, i) => ({ user, attributes: attrs({ n: entry(`fp${i}`, T), m: entry('same', T) }) })));
    const recalled = await memory.recall(users);
    expect(recalled.size).toBe(2000);
    expect(recalled.get('external_id:u1234')?.get('n')).toEqual(entry('fp1234', T));
    expect(await memory.users()).toBe(2000);
  });
});

describe('the embedded store sweeps expired entries', () => {
  it('in batches, on a remember at most once a minute', async () => {
    let clock = T;
    const store = new SqliteQueue(mkdtempSync(join(tmpdir(), 'sb-attrs-sweep-')), () => clock);
    try {
      const memory = store.attributeMemory(TTL);
      await memory.remember([{ user: 'old', attributes: attrs({ a: entry('x', T) }) }]);
      clock = T + TTL + 1;
      await memory.remember([{ user: 'new', attributes: attrs({ a: entry('y', clock) }) }]);
      expect(await memory.users()).toBe(1);
      expect(store.db.prepare('SELECT user FROM attribute_memory').all()).toEqual([{ user: 'new' }]);
    } finally {
      await store.close();
    }
  });
});
