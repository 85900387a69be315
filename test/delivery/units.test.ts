import { backoffMs, classify, rateLimitOf, retryAfterMs } from '../../src/delivery/braze-response';
import { BRAZE_LIMITS, pack } from '../../src/delivery/pack';
import { RateLimiter } from '../../src/delivery/rate-limiter';
import { WorkItem } from '../../src/queue/work-item';

const NOW = Date.UTC(2024, 2, 1, 12);
const reply = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => ({ status, body, headers });

describe('Braze response classes', () => {
  it.each([
    [200, 'delivered'], [201, 'delivered'], [202, 'delivered'],
    [408, 'retry'], [423, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [501, 'reject'], [505, 'reject'], [400, 'reject'], [404, 'reject'], [413, 'reject'], [422, 'reject'],
    [401, 'pause'], [403, 'pause'],
  ])('%i → %s', (status, kind) => {
    expect(classify(reply(status, { message: 'x' }), NOW).kind).toBe(kind);
  });

  it('network errors and timeouts are retried', () => {
    expect(classify({ networkError: 'ECONNRESET: socket hang up' }, NOW)).toEqual({ kind: 'retry', reason: 'ECONNRESET: socket hang up', retryAfterMs: null });
  });

  it('reads minor errors from any 2xx', () => {
    const outcome = classify(reply(201, { message: 'success', errors: [{ type: 'bad time', input_array: 'events', index: 2 }, { nonsense: true }] }), NOW);
    expect(outcome).toEqual({ kind: 'delivered', failed: [{ array: 'events', index: 2, reason: 'Braze: bad time' }] });
  });

  it('keeps Braze’s message as the reason', () => {
    expect(classify(reply(400, { message: 'Max Input Length Exceeded' }), NOW)).toMatchObject({ kind: 'reject', reason: 'HTTP 400: Max Input Length Exceeded' });
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
    expect(limiter.delay(NOW + 1500)).toBe(0);
  });

  it('spreads the last 10% of the budget over the rest of the window', () => {
    const limiter = new RateLimiter();
    limiter.observe({ limit: 3000, remaining: 1000, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(0);
    limiter.observe({ limit: 3000, remaining: 100, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(30);
    limiter.observe({ limit: 3000, remaining: 0, resetAt: NOW + 3000 });
    expect(limiter.delay(NOW)).toBe(3000);
  });
});

describe('packing', () => {
  let id = 0;
  const item = (userKey: string, endpoint: WorkItem['endpoint'] = '/users/track', array = 'events', options = {}): WorkItem => ({
    id: ++id, messageId: `m${id}`, userKey, endpoint, array, options, object: { n: id }, position: 0, attempts: 0, mergeKey: null,
  });

  it('fills requests up to 75 per array, 225 in all', () => {
    const items = [...Array.from({ length: 100 }, (_, i) => item(`e${i}`)), ...Array.from({ length: 100 }, (_, i) => item(`a${i}`, '/users/track', 'attributes'))];
    const requests = pack(items, BRAZE_LIMITS);
    expect(requests.map((r) => [(r.body.events as unknown[] | undefined)?.length ?? 0, (r.body.attributes as unknown[] | undefined)?.length ?? 0])).toEqual([[75, 0], [25, 75], [0, 25]]);
  });

  it('respects a combined limit', () => {
    const items = Array.from({ length: 30 }, (_, i) => [item(`u${i}`), item(`u${i}`, '/users/track', 'purchases')]).flat();
    const requests = pack(items, { trackArray: 75, trackCombined: 50, other: 50 });
    expect(requests.map((r) => r.placed.length)).toEqual([50, 10]);
  });

  it('never splits one user’s objects across requests', () => {
    const items = [...Array.from({ length: 70 }, (_, i) => item(`x${i}`)), ...Array.from({ length: 10 }, () => item('heavy'))];
    const requests = pack(items, BRAZE_LIMITS);
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
    const requests = pack(items, BRAZE_LIMITS);
    expect(requests.map((r) => [r.endpoint, r.placed.length, r.body.merge_behavior])).toEqual([
      ['/users/identify', 50, 'merge'],
      ['/users/identify', 10, 'merge'],
      ['/users/identify', 1, 'none'],
      ['/users/track', 1, undefined],
    ]);
    expect(requests[0].placed[3]).toMatchObject({ array: 'aliases_to_identify', index: 3 });
  });
});
