import { BUDGET_LOW_WATER, RateLimitState } from '../queue/ports/braze-budget.port';

/**
 * Paces requests from Braze's own headers: after a 429 nothing is sent until the window
 * resets, and when X-RateLimit-Remaining runs low the remaining budget is spread over the
 * time left in the window instead of being spent at once.
 */
export class RateLimiter {
  private blockedUntil = 0;
  private state: RateLimitState | null = null;

  constructor(private readonly lowWater = BUDGET_LOW_WATER) {}

  observe(state: RateLimitState | null): void {
    if (state) this.state = state;
  }

  block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  /** How long a 429 still holds every request, at time `now`. */
  blockedFor(now: number): number {
    return Math.max(0, this.blockedUntil - now);
  }

  /** How long to wait before the next request, at time `now`. */
  delay(now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now;
    const s = this.state;
    if (!s || s.remaining === null || s.limit === null || s.resetAt === null || s.resetAt <= now) return 0;
    if (s.remaining > s.limit * this.lowWater) return 0;
    const window = s.resetAt - now;
    return s.remaining <= 0 ? window : Math.ceil(window / s.remaining);
  }
}
