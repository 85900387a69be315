import { BrazeBudget, MAX_BUDGET_WAIT_MS, RateLimitState } from '../queue/ports/braze-budget.port';
import { RateLimiter } from './rate-limiter';

/**
 * The budget of one instance alone (the embedded store): a rate limiter per endpoint
 * family and the pauses per endpoint, in memory. What it knows of the workspace's budget comes from
 * Braze's answers only; no one else pauses or probes, so every probe is this instance's.
 */
export class LocalBudget implements BrazeBudget {
  private readonly limiters = new Map<string, RateLimiter>();
  /** The paused endpoints: why, and since when. */
  private readonly paused = new Map<string, { reason: string; since: number }>();

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

  async pause(endpoint: string, reason: string): Promise<boolean> {
    const current = this.paused.get(endpoint);
    this.paused.set(endpoint, { reason, since: current?.since ?? this.now() });
    return current === undefined;
  }

  async resume(endpoint: string, sentAt: number): Promise<boolean> {
    const current = this.paused.get(endpoint);
    if (current === undefined || sentAt < current.since) return false;
    return this.paused.delete(endpoint);
  }

  async pauses(): Promise<ReadonlyMap<string, string>> {
    return new Map([...this.paused].map(([endpoint, { reason }]) => [endpoint, reason]));
  }

  async claimProbe(): Promise<boolean> {
    return true;
  }

  onChange(): () => void {
    return () => undefined;
  }
}
