import { AcceptedRequest, InboxEntry, InboxPosition, InboxSource, RequestInbox, StoreFullError } from '../ports/request-inbox.port';
import { StoreHealth } from '../ports/work-queue.port';
import type { RedisWorkQueue } from './redis-work-queue';

/** The consumer group every instance's expansion reads the inbox stream in (lib.lua's EXPAND). */
const GROUP = 'expand';
/** A stream entry's fields, as accept.lua writes them: the request's header as JSON, its body as received. */
type Header = Omit<InboxEntry, 'body'>;

/** What commit.lua reads of a batch's place in the stream: whose entries, which, how many messages, and when an older one counts as abandoned. */
export interface StreamPosition {
  readonly c: string;
  readonly ids: readonly string[];
  readonly n: number;
  readonly claim: number;
}

export const isStreamPosition = (position: unknown): position is StreamPosition =>
  typeof position === 'object' && position !== null && Array.isArray((position as StreamPosition).ids) && typeof (position as StreamPosition).c === 'string';

/**
 * The request inbox in Redis: a stream under the queue's prefix, appended to by every
 * instance. `accept` resolves once Redis has answered the append (with `appendfsync always`,
 * after its fsync), and counts the request's messages as waiting in the same script.
 */
export class RedisRequestInbox implements RequestInbox {
  constructor(private readonly queue: RedisWorkQueue) {}

  async accept(request: AcceptedRequest): Promise<void> {
    const header: Header = { source: request.source, receivedAt: request.receivedAt, idBase: request.idBase, skip: request.skip, messages: request.messages };
    try {
      await this.queue.runScript('accept', JSON.stringify(header), request.body, request.messages);
    } catch (error) {
      // With maxmemory-policy noeviction a full Redis refuses writes ("OOM command not allowed…"): what is queued is still delivered, and delivering frees memory.
      if (error instanceof Error && /\bOOM\b/.test(error.message)) throw new StoreFullError('QUEUE_FULL', `Redis is at its maxmemory: ${error.message}`);
      throw error;
    }
  }

  health(): Promise<StoreHealth> {
    return this.queue.health();
  }
}

export interface InboxSourceOptions {
  /** How long an entry may stay pending to a reader that does not touch it before another takes it over: the lease TTL. */
  readonly claimAfterMs: number;
  /** How long a read waits for new entries when none wait. */
  readonly blockMs?: number;
  /** How long a reader holding nothing stays in the group once silent (an instance gone for good); checked as often. */
  readonly forgetReadersAfterMs?: number;
}

const FORGET_READERS_AFTER_MS = 60 * 60_000;

/** Entries taken over from silent readers per read; more are taken at the next read. */
const CLAIM_COUNT = 100;
const MAX_ENTRIES = 1000;

type StreamReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/**
 * One instance's reader of the Redis inbox: a consumer (the instance's owner id) of the
 * stream's consumer group. Each read returns, in stream order, first the entries pending to
 * it (taken over from readers silent for `claimAfterMs`, or its own whose commit did not
 * happen), else new ones, waiting up to `blockMs` for them: the expansion hears what any
 * instance appends without polling. Committing (RedisWorkQueue with the position) acks and
 * deletes the entries, in stream order across instances (see commit.lua).
 */
export class RedisInboxSource implements InboxSource {
  /** Its read waits for appends of its own accord, which no local accept would announce. */
  readonly follows = true;
  private group: Promise<void> | null = null;
  /** Messages per entry, as last read: how many entries make about `maxMessages`. */
  private perEntry = 50;
  private readonly blockMs: number;
  private readonly forgetAfterMs: number;
  /** When this reader last forgot the silent ones (Date.now()); 0: not yet. */
  private forgotAt = 0;

  constructor(
    private readonly queue: RedisWorkQueue,
    private readonly consumer: string,
    private readonly options: InboxSourceOptions,
  ) {
    this.blockMs = options.blockMs ?? 500;
    this.forgetAfterMs = options.forgetReadersAfterMs ?? FORGET_READERS_AFTER_MS;
  }

  private get key(): string {
    return `${this.queue.prefix}inbox`;
  }

  async read(maxMessages: number): Promise<{ readonly entries: readonly InboxEntry[]; readonly position: InboxPosition }> {
    await this.ensureGroup();
    const client = this.queue.client;
    try {
      if (Date.now() - this.forgotAt >= this.forgetAfterMs) {
        await this.queue.runScript('forget-readers', this.forgetAfterMs);
        this.forgotAt = Date.now();
      }
      await client.xautoclaim(this.key, GROUP, this.consumer, this.options.claimAfterMs, '0-0', 'COUNT', CLAIM_COUNT, 'JUSTID');
      const count = Math.max(1, Math.min(MAX_ENTRIES, Math.ceil(maxMessages / this.perEntry)));
      for (;;) {
        let read = await this.readGroup(['COUNT', count, 'STREAMS', this.key, '0']);
        if (read.length === 0) read = await this.readGroup(['COUNT', count, 'BLOCK', this.blockMs, 'STREAMS', this.key, '>']);
        // An entry deleted under its pending record (not by this service) has nothing to expand: let go of it.
        const gone = read.filter(([, fields]) => fields === null).map(([id]) => id);
        if (gone.length > 0) await client.xack(this.key, GROUP, ...gone);
        if (gone.length === 0 || gone.length < read.length) return this.batchOf(read, maxMessages);
      }
    } catch (error) {
      // The group went with the stream (a Redis restarted without its data): made again at the next read.
      if (/NOGROUP/.test((error as Error).message)) this.group = null;
      throw error;
    }
  }

  /** Nothing to do: the commit that recorded the position deleted its entries. */
  async advance(): Promise<void> {}

  private ensureGroup(): Promise<void> {
    return (this.group ??= this.queue.client.xgroup('CREATE', this.key, GROUP, '0', 'MKSTREAM').then(
      () => undefined,
      (error: Error) => {
        if (/BUSYGROUP/.test(error.message)) return;
        this.group = null;
        throw error;
      },
    ));
  }

  private async readGroup(args: (string | number)[]): Promise<[Buffer, Buffer[] | null][]> {
    const reply = (await this.queue.client.callBuffer('XREADGROUP', 'GROUP', GROUP, this.consumer, ...args)) as StreamReply;
    return reply?.[0]?.[1] ?? [];
  }

  /** The read's first entries up to about `maxMessages` messages; what lies beyond stays pending to this reader, for its next read. */
  private batchOf(read: [Buffer, Buffer[] | null][], maxMessages: number): { entries: InboxEntry[]; position: InboxPosition } {
    const entries: InboxEntry[] = [];
    const ids: string[] = [];
    let messages = 0;
    for (const [id, fields] of read) {
      if (fields === null) continue;
      if (ids.length > 0 && messages >= maxMessages) break;
      ids.push(id.toString());
      const entry = entryOf(id, fields);
      entries.push(entry);
      messages += entry.messages;
    }
    if (entries.length > 0) this.perEntry = Math.max(1, messages / entries.length);
    const position: StreamPosition = { c: this.consumer, ids, n: messages, claim: this.options.claimAfterMs };
    return { entries, position: position as unknown as InboxPosition };
  }
}

/** An entry as accept.lua wrote it; anything else (written by hand) becomes a request the expansion refuses whole, as a dead letter. */
function entryOf(id: Buffer, fields: Buffer[]): InboxEntry {
  const value = (name: string) => {
    const at = fields.findIndex((f, i) => i % 2 === 0 && f.toString() === name);
    return at < 0 ? undefined : fields[at + 1];
  };
  const header = value('h');
  const body = value('b');
  try {
    if (header && body) return { ...(JSON.parse(header.toString('utf8')) as Header), body };
  } catch {
    // below
  }
  return { source: 'unreadable inbox entry', body: Buffer.concat(fields), receivedAt: 0, idBase: `inbox-${id.toString()}`, skip: [], messages: 1 };
}
