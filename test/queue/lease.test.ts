import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueuedMessage } from '../../src/queue/delivery-queue.port';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';

const T = '2024-03-01T12:00:00.000Z';
let clock = 1_000_000;

function track(messageId: string, user: string): QueuedMessage {
  return { messageId, userKey: user, receivedAt: T, warnings: [], requests: [{ endpoint: '/users/track', body: { events: [{ external_id: user, name: messageId, time: T }] } }] };
}

function alias(messageId: string, user: string): QueuedMessage {
  return { messageId, userKey: user, receivedAt: T, warnings: [], requests: [{ endpoint: '/users/alias/new', body: { user_aliases: [{ external_id: user, alias_name: messageId, alias_label: 'l' }] } }] };
}

describe('leasing from the head of the queue keeps each user in order', () => {
  let store: SqliteQueue;
  beforeEach(() => {
    store = new SqliteQueue(mkdtempSync(join(tmpdir(), 'sb-lease-')), () => clock);
  });
  afterEach(() => store.close());
  const names = (items: { object: Record<string, unknown> }[]) => items.map((i) => i.object.name ?? i.object.alias_name);

  it('a user with an object in flight gets nothing more until it settles; others go on', () => {
    store.enqueueSync([track('a1', 'a'), track('b1', 'b'), track('a2', 'a')]);
    const first = store.lease(1);
    expect(names(first)).toEqual(['a1']);
    expect(names(store.lease(10))).toEqual(['b1']);
    store.ack(first.map((i) => i.id));
    expect(names(store.lease(10))).toEqual(['a2']);
  });

  it('a user waiting on a retry is held back until its time comes, and keeps its order', () => {
    store.enqueueSync([track('a1', 'a'), track('a2', 'a'), track('b1', 'b')]);
    const [a1] = store.lease(1);
    store.retry([a1.id], clock + 5000);
    expect(names(store.lease(10))).toEqual(['b1']);
    clock += 5000;
    expect(names(store.lease(10))).toEqual(['a1', 'a2']);
  });

  it("a user's run stops at an endpoint change and at the per-user cap", () => {
    store.enqueueSync([track('a1', 'a'), alias('a2', 'a'), track('b1', 'b'), track('b2', 'b'), track('b3', 'b')]);
    expect(names(store.lease(10, 2))).toEqual(['a1', 'b1', 'b2']);
  });

  it('finds ready objects behind more blocked ones than one statement reads', () => {
    store.enqueueSync(Array.from({ length: 4500 }, (_, i) => track(`a${i}`, 'a')));
    store.enqueueSync([track('b1', 'b')]);
    const [a0] = store.lease(1);
    store.retry([a0.id], clock + 60_000);
    expect(names(store.lease(10))).toEqual(['b1']);
  });
});
