import Redis from 'ioredis';
import { BrazeBudget, BUDGET_LOW_WATER, MAX_BUDGET_WAIT_MS, RateLimitState } from '../ports/braze-budget.port';
import { defineScripts, RunScript } from './redis-scripts';
import { RedisWakeUp } from './redis-wake-up';
import { RedisWorkQueue } from './redis-work-queue';

/**
 * The Braze budget of every instance on one Redis, kept under the queue's prefix (see
 * lib.lua): Braze limits the workspace, not the instance. Each request takes its share of
 * the window's `remaining` in one script, so the instances together spend what Braze
 * said, less what is in flight; each answer's headers correct it. A 429's block and a
 * paused endpoint hold every instance; a pause or resume is published, and every instance
 * also reads the pauses before each round, so a lost message costs a round at most. While an
 * endpoint is paused, one instance per probe period probes it. Times come from the injected clock, as in
 * the queue: instances' clocks must agree closely.
 */
export class RedisBrazeBudget implements BrazeBudget {
  private readonly runScript: RunScript;
  private readonly changes: RedisWakeUp;

  constructor(
    private readonly client: Redis,
    subscriber: Redis,
    private readonly prefix: string,
    private readonly now: () => number,
  ) {
    this.runScript = defineScripts(client, prefix);
    this.changes = new RedisWakeUp(client, subscriber, `${prefix}pause-changed`);
  }

  /** The budget on the queue's connections, prefix and clock, subscribed to pauses and resumes. */
  static async beside(queue: RedisWorkQueue): Promise<RedisBrazeBudget> {
    const budget = new RedisBrazeBudget(queue.client, queue.subscriber, queue.prefix, queue.clock);
    await budget.start();
    return budget;
  }

  /** Resolves once pauses and resumes of other instances are heard. */
  start(): Promise<void> {
    return this.changes.start();
  }

  async take(family: string): Promise<number> {
    return Number(await this.runScript('budget-take', this.now(), family, BUDGET_LOW_WATER, MAX_BUDGET_WAIT_MS));
  }

  async blockedFor(family: string): Promise<number> {
    const until = Number((await this.client.hget(`${this.prefix}budget:${family}`, 'b')) ?? 0);
    return Math.min(Math.max(0, until - this.now()), MAX_BUDGET_WAIT_MS);
  }

  async observe(family: string, state: RateLimitState | null): Promise<void> {
    if (state === null || state.limit === null || state.remaining === null || state.resetAt === null) return;
    await this.runScript('budget-observe', this.now(), family, state.limit, state.remaining, state.resetAt);
  }

  async block(family: string, until: number): Promise<void> {
    await this.runScript('budget-block', this.now(), family, Math.min(until, this.now() + MAX_BUDGET_WAIT_MS));
  }

  async pause(endpoint: string, reason: string): Promise<boolean> {
    const first = (await this.runScript('pause', this.now(), endpoint, reason.slice(0, 2000))) === 1;
    if (first) this.changes.notifyOthers();
    return first;
  }

  async resume(endpoint: string, sentAt: number): Promise<boolean> {
    const resumed = (await this.runScript('resume', this.now(), endpoint, sentAt)) === 1;
    if (resumed) this.changes.notifyOthers();
    return resumed;
  }

  async pauses(): Promise<ReadonlyMap<string, string>> {
    const fields = await this.client.hgetall(`${this.prefix}paused`);
    return new Map(Object.entries(fields).flatMap(([field, reason]) => (field.startsWith('r:') ? [[field.slice(2), reason] as const] : [])));
  }

  async claimProbe(endpoint: string, periodMs: number): Promise<boolean> {
    return (await this.runScript('probe', this.now(), endpoint, periodMs)) === 1;
  }

  onChange(listener: () => void): () => void {
    return this.changes.listen(listener);
  }
}
