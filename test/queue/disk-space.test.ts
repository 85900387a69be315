import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DiskSpace, RESERVE_FILE } from '../../src/queue/disk-space';
import { AcceptedRequest, StoreFullError } from '../../src/queue/ports/request-inbox.port';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';

const MB = 2 ** 20;
const request: AcceptedRequest = { source: 'track', body: Buffer.from('{"userId":"u1","event":"E"}'), receivedAt: 0, idBase: 'sb-1', skip: [], messages: 1 };
const fresh = () => mkdtempSync(join(tmpdir(), 'sb-disk-'));

describe('DATA_DIR space', () => {
  it('under the minimum free space a request is refused with DISK_FULL, and health says disk full', async () => {
    const store = new SqliteQueue(fresh(), () => 0, { disk: { minFreeBytes: 2 ** 50, reserveBytes: 0 } });
    await expect(store.accept(request)).rejects.toEqual(expect.objectContaining({ code: 'DISK_FULL' }));
    await expect(store.accept(request)).rejects.toBeInstanceOf(StoreFullError);
    expect(await store.health()).toEqual({ up: false, error: expect.stringMatching(/^disk full: DATA_DIR .* under DATA_DIR_MIN_FREE_MB/) });
    await store.close();
  });

  it('above it, the same store accepts and is healthy', async () => {
    const store = new SqliteQueue(fresh(), () => 0, { disk: { minFreeBytes: 1, reserveBytes: 0 } });
    await expect(store.accept(request)).resolves.toBeUndefined();
    expect(await store.health()).toEqual({ up: true });
    await store.close();
  });

  it('keeps a reserve file of its size with room for it, and gives it back on demand', () => {
    const dir = fresh();
    const disk = new DiskSpace(dir, { minFreeBytes: 1, reserveBytes: 2 * MB });
    expect(disk.keepReserve()).toBe(true);
    expect(statSync(join(dir, RESERVE_FILE)).size).toBe(2 * MB);
    expect(disk.releaseReserve()).toBe(true);
    expect(existsSync(join(dir, RESERVE_FILE))).toBe(false);
    expect(disk.releaseReserve()).toBe(false);
    // Without room beside the minimum, none is written.
    expect(new DiskSpace(dir, { minFreeBytes: 2 ** 50, reserveBytes: 2 * MB }).keepReserve()).toBe(false);
  });

  it('a store from before auto-vacuum is converted at open, so that what is deleted can go back to the volume', async () => {
    const dir = fresh();
    const old = new Database(join(dir, 'segment-braze.db'));
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE before_this_version (a)');
    old.close();
    const store = new SqliteQueue(dir, () => 0);
    expect(store.db.pragma('auto_vacuum', { simple: true })).toBe(2); // incremental
    expect(store.notes).toEqual([]);
    await store.close();
  });
});
