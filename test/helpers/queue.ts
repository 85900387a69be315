import { CommitResult, Lease, QueuedMessage, WorkQueue } from '../../src/queue/ports/work-queue.port';

export const TEST_OWNER = 'test-owner';
const T = '2024-03-01T12:00:00.000Z';

/** Messages written straight to the queue, without the inbox. */
/** Work committed without an inbox position, which is always committed. */
export async function enqueue(queue: WorkQueue, messages: readonly QueuedMessage[]): Promise<CommitResult> {
  const result = await queue.commit({ messages, refused: [] });
  if ('uncommitted' in result) throw new Error(`a commit without an inbox position was not committed (${result.uncommitted})`);
  return result;
}

/** A lease for the tests' owner, long enough never to expire in a test; users' runs are not cut at a change of request. */
export const leaseFor = (queue: WorkQueue, limit = 1000, perUser = Number.POSITIVE_INFINITY, owner = TEST_OWNER, ttlMs = 60_000): Promise<Lease> =>
  queue.lease(owner, { limit, perUser, oneRequestPerUser: false }, ttlMs);

export function track(messageId: string, user: string, extra: Partial<QueuedMessage> = {}): QueuedMessage {
  return { messageId, userKey: user, receivedAt: T, warnings: [], requests: [{ endpoint: '/users/track', body: { events: [{ external_id: user, name: messageId, time: T }] } }], ...extra };
}

export function alias(messageId: string, user: string): QueuedMessage {
  return { messageId, userKey: user, receivedAt: T, warnings: [], requests: [{ endpoint: '/users/alias/new', body: { user_aliases: [{ external_id: user, alias_name: messageId, alias_label: 'l' }] } }] };
}

/** A message of one /users/identify request, with its request-level `merge_behavior`. */
export function identify(messageId: string, user: string, mergeBehavior: 'merge' | 'none' = 'merge'): QueuedMessage {
  const entry = { external_id: user, user_alias: { alias_name: messageId, alias_label: 'l' } };
  return { messageId, userKey: user, receivedAt: T, warnings: [], requests: [{ endpoint: '/users/identify', body: { aliases_to_identify: [entry], merge_behavior: mergeBehavior } }] };
}

/** The names of leased objects (event name or alias name), in lease order. */
export const names = (lease: Lease) =>
  lease.items.map((i) => (i.object.name ?? i.object.alias_name ?? (i.object.user_alias as { alias_name?: string } | undefined)?.alias_name) as string);
