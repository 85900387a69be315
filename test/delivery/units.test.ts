import { backoffMs, classify, rateLimitOf, retryAfterMs } from '../../src/delivery/braze-response';
import { halves, objectsPerTrackRequest, pack, perUserCap, roundLimits, trackLimits } from '../../src/delivery/pack';
import { TRACK_COMBINED_LIMIT } from '../../src/engine';
import { RateLimiter } from '../../src/delivery/rate-limiter';
import { WorkId, WorkItem } from '../../src/queue/ports/work-queue.port';

/** Braze's current limits, as the default configuration packs: 75 objects per /users/track request in all. */
const CURRENT_LIMITS = trackLimits('combined', TRACK_COMBINED_LIMIT);

const NOW = Date.UTC(2024, 2, 1, 12);
const reply = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => ({ status, body, headers });

describe('Braze response classes', () => {
  it.each([
    [200, 'delivered'], [201, 'delivered'], [202, 'delivered'],
    [408, 'retry'], [423, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [501, 'reject'], [505, 'reject'], [404, 'reject'], [422, 'reject'],
    [400, 'split'], [413, 'split'],
    [401, 'pause'], [403, 'pause'],
  ])('%i → %s', (status, kind) => {
    expect(classify(reply(status, { message: 'x' }), NOW).kind).toBe(kind);
  });

  it('a 404 naming the API key pauses like a 401; a 404 for a bad path is permanent', () => {
    expect(classify(reply(404, { message: 'Unknown REST API Key' }), NOW)).toEqual({ kind: 'pause', reason: 'HTTP 404: Unknown REST API Key', status: 404 });
    expect(classify(reply(404, { message: 'unknown api_key' }), NOW).kind).toBe('pause');
    expect(classify(reply(404, { message: 'Not Found' }), NOW).kind).toBe('reject');
    expect(classify(reply(404, '<html>Not Found</html>'), NOW).kind).toBe('reject');
  });

  it('202 queued is a success', () => {
    expect(classify(reply(202, { message: 'queued' }), NOW)).toEqual({ kind: 'delivered', failed: [] });
  });

  it('a 400 keeps the objects Braze names, to be dead-lettered once the request is split down to them', () => {
    const outcome = classify(reply(400, { message: 'Valid data must be provided', errors: [{ type: 'bad email', input_array: 'attributes', index: 1 }] }), NOW);
    expect(outcome).toMatchObject({ kind: 'split', status: 400, failed: [{ array: 'attributes', index: 1, reason: 'Braze: bad email' }] });
  });

  it('network errors and timeouts are retried', () => {
    expect(classify({ networkError: 'ECONNRESET: socket hang up' }, NOW)).toEqual({ kind: 'retry', reason: 'ECONNRESET: socket hang up', retryAfterMs: null });
  });

  it('reads minor errors from any 2xx', () => {
    const outcome = classify(reply(201, { message: 'success', errors: [{ type: 'bad time', input_array: 'events', index: 2 }, { nonsense: true }] }), NOW);
    expect(outcome).toEqual({ kind: 'delivered', failed: [{ array: 'events', index: 2, reason: 'Braze: bad time' }] });
  });

  it('keeps Braze’s message as the reason', () => {
    expect(classify(reply(400, { message: 'Max Input Length Exceeded' }), NOW)).toMatchObject({ kind: 'split', reason: 'HTTP 400: Max Input Length Exceeded', failed: [] });
    expect(classify(reply(422, { message: 'Unprocessable' }), NOW)).toMatchObject({ kind: 'reject', reason: 'HTTP 422: Unprocessable' });
  });

  it.each([
    [{ 'Retry-After': '2' }, 429, 2000],
    [{ 'retry-after': new Date(NOW + 5000).toUTCString() }, 429, 5000],
    [{ 'X-RateLimit-Reset': String(NOW / 1000 + 3) }, 429, 3000],
    [{ 'X-RateLimit-Reset': String(NOW / 1000 + 3) }, 503, null],
    [{}, 503, null],
  ])('waits %j on %i → %p ms', (headers, status, ms) => {
    expect(retryAfterMs(headers, NOW, status === 429)).toBe(ms);
    const outcome = classify(reply(status, {}, headers), NOW);
    expect(outcome.kind === 'retry' && outcome.retryAfterMs).toBe(ms);
  });

  it('reads rate-limit headers in any case', () => {
    expect(rateLimitOf(reply(201, {}, { 'x-ratelimit-limit': '3000', 'X-RATELIMIT-REMAINING': '12', 'X-RateLimit-Reset': '1709294403' }))).toEqual({ limit: 3000, remaining: 12, resetAt: 1709294403000 });
    expect(rateLimitOf(reply(201))).toBeNull();
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffMs(0, 0)).toBe(500);
    expect(backoffMs(0, 1)).toBe(1000);
    expect(backoffMs(3, 1)).toBe(8000);
    expect(backoffMs(30, 1)).toBe(300_000);
    expect(backoffMs(30, 0)).toBe(150_000);
  });
});

describe('the rate limiter', () => {
  it('waits out a 429 block', () => {
    const limiter = new RateLimiter();
    expect(limiter.delay(NOW)).toBe(0);
    limiter.block(NOW + 1500);
    expect(limiter.delay(NOW)).toBe(1500);
    expect(limiter.blockedFor(NOW + 1000)).toBe(500);
    expect(limiter.delay(NOW + 1500)).toBe(0);
    expect(limiter.blockedFor(NOW + 1500)).toBe(0);
  });

  it('spreads the last 10% of the budget over the rest of the window', () => {
    const limiter = new RateLimiter();
    limiter.observe({ limit: 3000, remaining: 1000, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(0);
    limiter.observe({ limit: 3000, remaining: 100, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(30);
    limiter.observe({ limit: 3000, remaining: 0, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(3000);
    expect(limiter.blockedFor(NOW)).toBe(0); // pacing, not a 429
  });
});

describe('packing', () => {
  let id = 0;
  const item = (userKey: string, endpoint: WorkItem['endpoint'] = '/users/track', array = 'events', options = {}): WorkItem => ({
    id: String(++id) as WorkId, messageId: `m${id}`, userKey, endpoint, array, options, object: { n: id }, position: 0, attempts: 0, mergeKey: null, eventTime: null, changesOnly: null,
  });

  it('a round leases one request per user (the lease cuts each run: see the work queue contract), within the per-user cap', () => {
    expect(roundLimits(CURRENT_LIMITS, 300)).toEqual({ limit: 300, perUser: perUserCap(CURRENT_LIMITS), oneRequestPerUser: true });
  });

  it('identify objects with different merge_behavior go in different requests', () => {
    const requests = pack([item('a', '/users/identify', 'aliases_to_identify', { merge_behavior: 'merge' }), item('b', '/users/identify', 'aliases_to_identify', { merge_behavior: 'none' })], CURRENT_LIMITS);
    expect(requests.map((r) => r.body.merge_behavior)).toEqual(['merge', 'none']);
  });

  const shape = (requests: ReturnType<typeof pack>) => requests.map((r) => [(r.body.events as unknown[] | undefined)?.length ?? 0, (r.body.attributes as unknown[] | undefined)?.length ?? 0]);
  const eventsAndAttributes = () => [...Array.from({ length: 100 }, (_, i) => item(`e${i}`)), ...Array.from({ length: 100 }, (_, i) => item(`a${i}`, '/users/track', 'attributes'))];

  it('fills requests up to 75 objects in all, as Braze counts today', () => {
    expect(shape(pack(eventsAndAttributes(), CURRENT_LIMITS))).toEqual([[75, 0], [25, 50], [0, 50]]);
  });

  it('fills requests up to 75 per array, 225 in all, in the legacy shape', () => {
    expect(shape(pack(eventsAndAttributes(), trackLimits('per-array', 75)))).toEqual([[75, 0], [25, 75], [0, 25]]);
  });

  it('respects a combined limit of 50 (MAU plans), purchases counted one by one', () => {
    const items = Array.from({ length: 30 }, (_, i) => [item(`u${i}`), item(`u${i}`, '/users/track', 'purchases')]).flat();
    const requests = pack(items, trackLimits('combined', 50));
    expect(requests.map((r) => r.placed.length)).toEqual([50, 10]);
  });

  it.each([
    ['combined', 75, 75, 50],
    ['combined', 50, 50, 50],
    ['combined', 20, 20, 20],
    ['per-array', 75, 225, 50],
  ] as const)('sizes rounds and per-user leases to the shape (%s %i: %i per request, %i per user)', (s, size, perRequest, perUser) => {
    expect(objectsPerTrackRequest(trackLimits(s, size))).toBe(perRequest);
    expect(perUserCap(trackLimits(s, size))).toBe(perUser);
  });

  it('halves a request in order: each user’s earlier objects in the first half, positions rebuilt', () => {
    const items = [item('u'), item('u', '/users/track', 'attributes'), item('u'), item('v'), item('v', '/users/track', 'purchases')];
    const [request] = pack(items, CURRENT_LIMITS);
    const [left, right] = halves(request);
    expect(left.placed.map((p) => p.item.id)).toEqual(items.slice(0, 3).map((i) => i.id));
    expect(right.placed.map((p) => p.item.id)).toEqual(items.slice(3).map((i) => i.id));
    expect(left.body).toEqual({ attributes: [items[1].object], events: [items[0].object, items[2].object] });
    expect(left.placed.map((p) => [p.array, p.index])).toEqual([['events', 0], ['attributes', 0], ['events', 1]]);
    expect(right.body).toEqual({ events: [items[3].object], purchases: [items[4].object] });
    expect(halves(left).map((h) => h.placed.length)).toEqual([2, 1]);
  });

  it('never splits one user’s objects across requests', () => {
    const items = [...Array.from({ length: 70 }, (_, i) => item(`x${i}`)), ...Array.from({ length: 10 }, () => item('heavy'))];
    const requests = pack(items, CURRENT_LIMITS);
    const holding = requests.filter((r) => r.placed.some((p) => p.item.userKey === 'heavy'));
    expect(holding).toHaveLength(1);
    expect(holding[0].placed.filter((p) => p.item.userKey === 'heavy').map((p) => p.item.id)).toEqual(items.slice(70).map((i) => i.id));
  });

  it('separates endpoints and request options, and chunks identify by 50', () => {
    const items = [
      ...Array.from({ length: 60 }, (_, i) => item(`u${i}`, '/users/identify', 'aliases_to_identify', { merge_behavior: 'merge' })),
      item('n', '/users/identify', 'aliases_to_identify', { merge_behavior: 'none' }),
      item('t'),
    ];
    const requests = pack(items, CURRENT_LIMITS);
    expect(requests.map((r) => [r.endpoint, r.placed.length, r.body.merge_behavior])).toEqual([
      ['/users/identify', 50, 'merge'],
      ['/users/identify', 10, 'merge'],
      ['/users/identify', 1, 'none'],
      ['/users/track', 1, undefined],
    ]);
    expect(requests[0].placed[3]).toMatchObject({ array: 'aliases_to_identify', index: 3 });
  });
});
