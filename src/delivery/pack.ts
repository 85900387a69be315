import type { TrackBatchShape } from '../config/app-config';
import { BrazeRequest, OTHER_ENDPOINT_LIMIT } from '../engine';
import { LeaseLimits, requestKeyOf, WorkItem } from '../queue/ports/work-queue.port';

const TRACK_ORDER = ['attributes', 'events', 'purchases'];

export interface PackLimits {
  /** Objects per /users/track array. */
  readonly trackArray: number;
  /** Objects per /users/track request across the three arrays; null: only the per-array limit holds. */
  readonly trackCombined: number | null;
  /** Entries per /users/identify or /users/alias/new request. */
  readonly other: number;
}

export function trackLimits(shape: TrackBatchShape, size: number): PackLimits {
  return { trackArray: size, trackCombined: shape === 'combined' ? size : null, other: OTHER_ENDPOINT_LIMIT };
}

/** The most objects one /users/track request may carry. */
export function objectsPerTrackRequest(limits: PackLimits): number {
  return limits.trackCombined ?? limits.trackArray * TRACK_ORDER.length;
}

export interface PackedRequest extends BrazeRequest {
  /** The work items in the request, with where each sits: body[array][index]. */
  readonly placed: readonly { readonly item: WorkItem; readonly array: string; readonly index: number }[];
}

/** The most objects of one user that a lease may take in one round: they must fit one request. */
export function perUserCap(limits: PackLimits): number {
  return Math.min(limits.trackArray, limits.trackCombined ?? Infinity, limits.other);
}

/**
 * What a round leases: up to `limit` objects, each user's in one request (`pack` keeps it
 * whole), since a round's requests run concurrently and a user's second request could
 * overtake the first.
 */
export function roundLimits(limits: PackLimits, limit: number): LeaseLimits {
  return { limit, perUser: perUserCap(limits), oneRequestPerUser: true };
}

/**
 * Packs leased objects into as few requests as Braze's limits allow. A user's objects of one
 * round always share one request, so requests of a round touch disjoint users and may run
 * concurrently without reordering anyone's updates.
 */
export function pack(items: readonly WorkItem[], limits: PackLimits): PackedRequest[] {
  const groups = new Map<string, Map<string, WorkItem[]>>();
  for (const item of items) {
    const key = requestKeyOf(item);
    let users = groups.get(key);
    if (!users) groups.set(key, (users = new Map()));
    const list = users.get(item.userKey);
    if (list) list.push(item);
    else users.set(item.userKey, [item]);
  }
  const requests: PackedRequest[] = [];
  for (const users of groups.values()) {
    let current: WorkItem[] = [];
    let counts = new Map<string, number>();
    const flush = () => {
      if (current.length > 0) requests.push(requestOf(current));
      current = [];
      counts = new Map();
    };
    for (const userItems of users.values()) {
      const added = new Map(counts);
      for (const item of userItems) added.set(item.array, (added.get(item.array) ?? 0) + 1);
      if (current.length > 0 && !fits(userItems[0].endpoint, added, limits)) {
        flush();
        for (const item of userItems) counts.set(item.array, (counts.get(item.array) ?? 0) + 1);
      } else counts = added;
      current.push(...userItems);
    }
    flush();
  }
  return requests;
}

function fits(endpoint: string, counts: Map<string, number>, limits: PackLimits): boolean {
  let total = 0;
  for (const n of counts.values()) {
    if (n > (endpoint === '/users/track' ? limits.trackArray : limits.other)) return false;
    total += n;
  }
  return endpoint !== '/users/track' || limits.trackCombined === null || total <= limits.trackCombined;
}

/**
 * Splits a request in two, in order: the first half holds each user's earlier objects, so
 * sending it first (and the second only once it is settled) keeps every user's order.
 */
export function halves(request: PackedRequest): [PackedRequest, PackedRequest] {
  const items = request.placed.map((p) => p.item);
  const middle = Math.ceil(items.length / 2);
  return [requestOf(items.slice(0, middle)), requestOf(items.slice(middle))];
}

/** One request of `items`, in their order within each array. */
function requestOf(items: readonly WorkItem[]): PackedRequest {
  const arrays = new Map<string, Record<string, unknown>[]>();
  const placed: { item: WorkItem; array: string; index: number }[] = [];
  for (const item of items) {
    let list = arrays.get(item.array);
    if (!list) arrays.set(item.array, (list = []));
    placed.push({ item, array: item.array, index: list.length });
    list.push(item.object as Record<string, unknown>);
  }
  const names = [...arrays.keys()].sort((a, b) => TRACK_ORDER.indexOf(a) - TRACK_ORDER.indexOf(b));
  const body: Record<string, unknown> = {};
  for (const name of names) body[name] = arrays.get(name);
  Object.assign(body, items[0].options);
  return { endpoint: items[0].endpoint, body, placed };
}
