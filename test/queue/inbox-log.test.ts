// The module object itself (not an import namespace), so that its functions can be spied on.
import fs = require('node:fs');
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandBatch, InboxExpander } from '../../src/ingest/inbox-expander';
import { eventually } from '../helpers/delivery';
import { AcceptedRequest } from '../../src/queue/ports/request-inbox.port';
import { remapWith } from '../../src/queue/remap';
import { InboxDamagedError, InboxLog } from '../../src/queue/inbox-log';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { defaultPlan, planOf } from '../helpers/engine';
import { leaseFor } from '../helpers/queue';

const T = Date.parse('2024-03-01T12:00:00.000Z');
const track = (n: number) => ({ type: 'track', userId: `u${n}`, event: `Event ${n}`, messageId: `m${n}` });

function request(n: number, source = 'batch'): AcceptedRequest {
  const body = source === 'batch' ? { batch: [track(n)] } : track(n);
  return { source, body: Buffer.from(JSON.stringify(body)), receivedAt: T, idBase: `sb-${n}`, skip: [], messages: 1 };
}

const start = { segment: 1, offset: 0 };
const names = (log: InboxLog, max = 100) => log.reader.next(max).entries.map((e) => JSON.parse(e.body.toString()).batch[0].event);

describe('the inbox log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-inbox-'));
  });

  it('keeps accepted requests, in order and byte for byte, across a reopen', async () => {
    const log = new InboxLog(dir, start, false);
    await Promise.all([1, 2, 3].map((n) => log.accept(request(n))));
    log.close();
    const again = new InboxLog(dir, start, false);
    expect(again.pending()).toEqual({ requests: 3, messages: 3 });
    const { entries } = again.reader.next(100);
    expect(entries.map((e) => e.body.toString())).toEqual([1, 2, 3].map((n) => request(n).body.toString()));
    expect(entries[0]).toMatchObject({ source: 'batch', receivedAt: T, idBase: 'sb-1', skip: [], messages: 1 });
    again.close();
  });

  it('cuts a record torn by a crash off the end, and appends after it cleanly', async () => {
    const log = new InboxLog(dir, start, false);
    await log.accept(request(1));
    log.close();
    const file = join(dir, readdirSync(dir)[0]);
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([0x53, 0x42, 0x49, 0x31, 0, 0, 0, 90, 0, 0, 1])); // a prefix cut short
    const again = new InboxLog(dir, start, false);
    expect(statSync(file).size).toBe(whole);
    await again.accept(request(2));
    expect(names(again)).toEqual(['Event 1', 'Event 2']);
    again.close();
  });

  describe('what a power loss can leave past the last record', () => {
    /** Three acknowledged requests, then `tail` as the file's end; answers the segment and its size before the tail. */
    async function logWithTail(tail: (file: string, whole: number) => void): Promise<{ file: string; whole: number }> {
      const log = new InboxLog(dir, start, false);
      for (let n = 1; n <= 3; n++) await log.accept(request(n));
      log.close();
      const file = join(dir, readdirSync(dir)[0]);
      const whole = statSync(file).size;
      tail(file, whole);
      return { file, whole };
    }

    it.each([
      ['zeros', (file: string) => appendFileSync(file, Buffer.alloc(8192))],
      ['random garbage', (file: string) => appendFileSync(file, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251)))],
      ['a last record cut short', (file: string) => appendFileSync(file, Buffer.concat([Buffer.from([0x53, 0x42, 0x49, 0x31, 0, 0, 0, 10, 0, 0, 0, 40]), Buffer.alloc(20, 0x7b)]))],
    ])('%s: cut off (saying where), every acknowledged request kept, appends go on after them', async (_, tail) => {
      const { file, whole } = await logWithTail(tail);
      const again = new InboxLog(dir, start, false);
      expect(statSync(file).size).toBe(whole);
      expect(again.tailsCut).toBe(1);
      expect(again.notes).toEqual([expect.stringContaining(`${file} at byte ${whole}`)]);
      await again.accept(request(4));
      expect(names(again)).toEqual(['Event 1', 'Event 2', 'Event 3', 'Event 4']);
      again.close();
    });

    it('a damaged record with records after it stops the open, naming the file and the byte', async () => {
      const log = new InboxLog(dir, start, false);
      await log.accept(request(1));
      const second = statSync(join(dir, readdirSync(dir)[0])).size;
      for (let n = 2; n <= 3; n++) await log.accept(request(n));
      log.close();
      const file = join(dir, readdirSync(dir)[0]);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(16), 0, 16, second); // the second record's start zeroed: acknowledged, and the third follows it
      fs.closeSync(fd);
      expect(() => new InboxLog(dir, start, false)).toThrow(new InboxDamagedError(readdirSync(dir)[0], second, 'holds no record'));
      expect(statSync(file).size).toBeGreaterThan(second); // nothing cut
    });
  });

  it('reads across segments and deletes the ones wholly read', async () => {
    const log = new InboxLog(dir, start, false, 200);
    for (let n = 1; n <= 5; n++) await log.accept(request(n));
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    const first = log.reader.next(2);
    expect(first.entries).toHaveLength(2);
    log.reader.advance(first.end);
    log.expanded(2, 2);
    expect(names(log)).toEqual(['Event 3', 'Event 4', 'Event 5']);
    const rest = log.reader.next(100);
    log.reader.advance(rest.end);
    log.expanded(3, 3);
    expect(log.pending()).toEqual({ requests: 0, messages: 0 });
    expect(readdirSync(dir).every((f) => Number(f.slice(0, 10)) >= rest.end.segment)).toBe(true);
    log.close();
  });
});

describe('the inbox log when the disk fails or the files are damaged', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-inbox-fail-'));
  });
  afterEach(() => jest.restoreAllMocks());
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  /** A writev that puts a few bytes down and then fails, as a filling disk does. */
  const failingWritev = () =>
    jest.spyOn(fs, 'writev').mockImplementationOnce(((fd: number, buffers: Buffer[], callback: (e: Error | null, n: number) => void) => {
      fs.writeSync(fd, buffers[0].subarray(0, 5));
      callback(enospc(), 5);
    }) as never);

  it('refuses a request whose append failed, cuts what it left, and keeps taking the next ones', async () => {
    const log = new InboxLog(dir, start, false);
    await log.accept(request(1));
    failingWritev();
    await expect(log.accept(request(2))).rejects.toThrow(/ENOSPC/);
    await log.accept(request(3));
    expect(names(log)).toEqual(['Event 1', 'Event 3']);
    log.close();
    expect(names(new InboxLog(dir, start, false))).toEqual(['Event 1', 'Event 3']);
  });

  it('stops accepting (so nothing acknowledged can be cut) when a failed append cannot be cut back', async () => {
    const log = new InboxLog(dir, start, false);
    await log.accept(request(1));
    failingWritev();
    jest.spyOn(fs, 'ftruncate').mockImplementationOnce(((_fd: number, _len: number, callback: (e: Error | null) => void) => callback(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))) as never);
    await expect(log.accept(request(2))).rejects.toThrow(/ENOSPC/);
    await expect(log.accept(request(3))).rejects.toThrow(/cannot be written/);
    expect(log.failure?.message).toMatch(/EIO/);
    expect(log.pending()).toEqual({ requests: 1, messages: 1 });
    log.close();
  });

  it('a missing or damaged segment is an error, never skipped', async () => {
    const log = new InboxLog(dir, start, false, 200);
    for (let n = 1; n <= 5; n++) await log.accept(request(n));
    log.close();
    const files = readdirSync(dir).sort();
    rmSync(join(dir, files[1]));
    expect(() => new InboxLog(dir, start, false, 200)).toThrow(InboxDamagedError);
    writeFileSync(join(dir, files[1]), 'not a record at all');
    expect(() => new InboxLog(dir, start, false, 200)).toThrow(/holds no record at byte 0/);
  });

  it('a read position past its segment (power loss without sync) goes on from the end, and says so', async () => {
    const log = new InboxLog(dir, { segment: 1, offset: 5000 }, false);
    expect(log.notes).toEqual([expect.stringMatching(/past the file's end/)]);
    await log.accept(request(1));
    expect(names(log)).toEqual(['Event 1']);
    log.close();
  });
});

const readers: { close(): void }[] = [];
/** The expansion's ends as the thread has them, a reader of its own beside the store's inbox, driven in-process. */
function ends(store: SqliteQueue) {
  const inbox = store.inboxSourceBeside(() => store.inbox!.writeEnd());
  readers.push(inbox);
  return { inbox, queue: store };
}
afterEach(() => readers.splice(0).forEach((r) => r.close()));

/** A store on a fresh data directory, as the service opens it. */
function freshStore(): { dataDir: string; store: SqliteQueue } {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-store-'));
  return { dataDir, store: new SqliteQueue(dataDir, () => T) };
}

describe('expanding the inbox into work', () => {
  it('commits the read position with the work, so a reopened store neither repeats nor loses a request', async () => {
    const { dataDir, store } = freshStore();
    const plan = defaultPlan();
    for (let n = 1; n <= 3; n++) await store.accept(request(n));
    expect(await expandBatch(ends(store), plan, 2)).toMatchObject({ requests: 2, messages: 2, duplicates: 0 });
    await store.close();
    const reopened = new SqliteQueue(dataDir, () => T);
    expect(await reopened.stats()).toMatchObject({ inboxMessages: 1, pending: 2 });
    expect(await expandBatch(ends(reopened), plan, 100)).toMatchObject({ requests: 1, messages: 1 });
    expect((await leaseFor(reopened, 10)).items.map((i) => i.messageId)).toEqual(['m1', 'm2', 'm3']);
    await reopened.close();
  });

  it('keeps a message the mapping cannot serve as a dead letter that --remap replays once it can', async () => {
    const { store } = freshStore();
    const identifyOnly = planOf('version: 1\nrules:\n  - name: only-identify\n    when: { "==": [{ var: type }, identify] }\n    attributes: { fields: { x: { const: 1 } } }\n');
    await store.accept(request(7, 'track'));
    expect(await expandBatch(ends(store), identifyOnly, 100)).toMatchObject({ requests: 1, messages: 1, refused: 1 });
    const dead = store.deadLetters;
    expect((await dead.list(10)).items).toEqual([expect.objectContaining({ messageId: 'm7', userKey: 'u7', endpoint: 'unmapped', reason: expect.stringMatching(/^NO_MATCHING_RULE: /) })]);
    expect(await dead.replay('all')).toEqual({ replayed: 0, skipped: [{ id: 1, reason: expect.stringMatching(/--remap/) }] });
    expect(await dead.replay('all', remapWith(defaultPlan()))).toEqual({ replayed: 1, skipped: [] });
    const [item] = (await leaseFor(store, 10)).items;
    expect(item).toMatchObject({ messageId: 'm7', userKey: 'u7', endpoint: '/users/track', array: 'events', object: { external_id: 'u7', name: 'Event 7' } });
    await store.close();
  });
});

describe('the inbox expander', () => {
  it('makes what the inbox holds into work as it arrives, and leaves what arrives after stop() on disk', async () => {
    const { dataDir, store } = freshStore();
    const plan = defaultPlan();
    await store.accept(request(1));
    const expanded: number[] = [];
    const expander = new InboxExpander(ends(store), () => plan, { batchMessages: 1000, shareUnderLoad: 0.1, saturated: () => false }, {
      expanded: (report) => {
        store.inbox!.expanded(report.requests, report.messages); // what waits, as the thread's host counts it
        expanded.push(report.messages);
      },
    });
    store.inbox!.onAccepted = () => expander.kick();
    expander.start();
    expect(expander.isRunning).toBe(true);
    await store.accept(request(2));
    await eventually(async () => (await store.stats()).inboxMessages === 0 && (await store.stats()).pending === 2, 'the inbox to be expanded');
    await expander.stop();
    await store.accept(request(3)); // its onAccepted kick comes to a stopped expander
    expect(expander.isRunning).toBe(false);
    expect(await store.stats()).toMatchObject({ inboxMessages: 1, pending: 2 });
    expect(expanded.reduce((a, b) => a + b, 0)).toBe(2);
    await store.close();
    const reopened = new SqliteQueue(dataDir, () => T);
    expect(await reopened.stats()).toMatchObject({ inboxMessages: 1, pending: 2 });
    await reopened.close();
  });
});
