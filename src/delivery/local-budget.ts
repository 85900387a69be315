import { BrazeBudget, MAX_BUDGET_WAIT_MS, RateLimitState } from '../queue/ports/braze-budget.port';
import { RateLimiter } from './rate-limiter';

/**
 * The budget of one instance alone (the embedded store): a rate limiter per endpoint
 * family and the pause, in memory. What it knows of the workspace's budget comes from
 * Braze's answers only; no one else pauses or probes, so every probe is this instance's.
 */
export class LocalBudget implements BrazeBudget {
  private readonly limiters = new Map<string, RateLimiter>();
  private current: { reason: string; since: number } | null = null;

  constructor(private readonly now: () => number) {}

  private limiterFor(family: string): RateLimiter {
    let limiter = this.limiters.get(family);
    if (!limiter) this.limiters.set(family, (limiter = new RateLimiter()));
    return limiter;
  }

  async take(family: string): Promise<number> {
    return Math.min(this.limiterFor(family).delay(this.now()), MAX_BUDGET_WAIT_MS);
  }

  async blockedFor(family: string): Promise<number> {
    return Math.min(this.limiterFor(family).blockedFor(this.now()), MAX_BUDGET_WAIT_MS);
  }

  async observe(family: string, state: RateLimitState | null): Promise<void> {
    this.limiterFor(family).observe(state);
  }

  async block(family: string, until: number): Promise<void> {
    this.limiterFor(family).block(Math.min(until, this.now() + MAX_BUDGET_WAIT_MS));
  }

  async pause(reason: string): Promise<boolean> {
    const first = this.current === null;
    this.current = { reason, since: this.current?.since ?? this.now() };
    return first;
  }

  async resume(sentAt: number): Promise<boolean> {
    if (this.current === null || sentAt < this.current.since) return false;
    this.current = null;
    return true;
  }

  async pauseReason(): Promise<string | null> {
    return this.current?.reason ?? null;
  }

  async claimProbe(): Promise<boolean> {
    return true;
  }

  onChange(): () => void {
    return () => undefined;
  }
}
