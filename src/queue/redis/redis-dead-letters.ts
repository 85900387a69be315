import { DeadLetter, DeadLetterStore, Remap, ReplayResult, StoredDeadLetter } from '../ports/dead-letter-store.port';
import { NEVER_MAPPED } from '../remap';
import { UNMAPPED } from '../work-item';
import { encodeObject, RedisWorkQueue } from './redis-work-queue';

/** A dead letter's hash, as lib.lua's `bury` writes it. */
const FIELDS = ['m', 'u', 'e', 'a', 'ob', 'p', 'k', 'at', 'r', 's', 'f', 'pl'] as const;
type Fields = Record<(typeof FIELDS)[number], string | null>;

function toStored(id: number, f: Fields): StoredDeadLetter {
  return {
    id,
    messageId: f.m!,
    userKey: f.u!,
    endpoint: f.e!,
    array: f.a!,
    object: JSON.parse(f.ob!),
    reason: f.r!,
    status: f.s === null ? null : Number(f.s),
    attempts: Number(f.at ?? 0),
    failedAt: new Date(Number(f.f)).toISOString(),
    position: Number(f.p),
    message: f.pl === null ? null : JSON.parse(f.pl),
  };
}

/** Dead letters read and replayed per script call. */
const REPLAY_PAGE = 500;

const publicLetter = ({ position: _position, message: _message, ...letter }: StoredDeadLetter): DeadLetter => letter;

/** The dead letters a RedisWorkQueue writes: listed in the order they died, replayed at their users' ends, purged. */
export class RedisDeadLetters implements DeadLetterStore {
  constructor(private readonly queue: RedisWorkQueue) {}

  private get key(): string {
    return `${this.queue.prefix}dead`;
  }

  private async read(ids: readonly number[]): Promise<StoredDeadLetter[]> {
    const pipeline = this.queue.client.pipeline();
    for (const id of ids) pipeline.hmget(`${this.queue.prefix}dead:${id}`, ...FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([, values], i) => {
      const f = Object.fromEntries(FIELDS.map((name, j) => [name, (values as (string | null)[])[j]])) as Fields;
      return f.m === null ? [] : [toStored(ids[i], f)];
    });
  }

  private async ids(start: number, stop: number): Promise<number[]> {
    return (await this.queue.client.zrange(this.key, start, stop)).map(Number);
  }

  async list(limit: number, offset = 0): Promise<{ total: number; items: DeadLetter[] }> {
    const total = await this.queue.client.zcard(this.key);
    if (limit <= 0) return { total, items: [] };
    return { total, items: (await this.read(await this.ids(offset, offset + limit - 1))).map(publicLetter) };
  }

  async show(id: number): Promise<(DeadLetter & { readonly message: unknown }) | undefined> {
    const [letter] = await this.read([id]);
    return letter && { ...publicLetter(letter), message: letter.message };
  }

  /**
   * `remap` runs here, before the script; the script puts back only what is still a dead
   * letter then. In pages, each one script: replaying thousands never holds Redis for long.
   */
  async replay(ids: readonly number[] | 'all', remap?: Remap): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, skipped: [] };
    // In the order they died, which is each user's order, whatever order they were named in.
    const order = ids === 'all' ? await this.ids(0, -1) : [...new Set(ids)].sort((a, b) => a - b);
    for (let start = 0; start < order.length; start += REPLAY_PAGE) {
      const replays: { d: number; o: (string | number)[][] | false }[] = [];
      for (const letter of await this.read(order.slice(start, start + REPLAY_PAGE))) {
        const objects = remap ? remap(letter) : letter.endpoint === UNMAPPED ? NEVER_MAPPED : false;
        if (typeof objects === 'string') result.skipped.push({ id: letter.id, reason: objects });
        else replays.push({ d: letter.id, o: objects && objects.map(encodeObject) });
      }
      if (replays.length > 0) result.replayed += (await this.queue.runScript('replay', this.queue.clock(), JSON.stringify(replays))) as number;
    }
    if (result.replayed > 0) this.queue.wakeUp.notify();
    return result;
  }

  async purge(ids: readonly number[] | 'all'): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    return (await this.queue.runScript('purge', ids === 'all' ? '*' : ids.join(','))) as number;
  }
}
