import { BrazeBudget } from '../queue/ports/braze-budget.port';
import { BrazeReply, Outcome, rateLimitOf } from './braze-response';
import type { DeliveryObserver, WorkerLog } from './delivery.worker';

/** Braze limits /users/track separately from the other user endpoints. */
export const familyOf = (endpoint: string): string => (endpoint === '/users/track' ? 'track' : 'users');

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const NONE: ReadonlyMap<string, string> = new Map();

/**
 * The worker's side of the Braze budget: the wait before each request, what Braze's answer
 * means for the budget and the pauses, and the paused endpoints as this instance knows them
 * (health and the paused metric read them), brought up to date before each round and
 * whenever another instance pauses or resumes one. A pause holds one endpoint: Braze grants
 * a key each endpoint's permission on its own.
 */
export class BudgetGate {
  /** The paused endpoints and why. */
  pauses: ReadonlyMap<string, string> = NONE;

  constructor(
    private readonly budget: BrazeBudget,
    private readonly now: () => number,
    private readonly probeMs: number,
    private readonly log: WorkerLog,
    private readonly observer: DeliveryObserver,
  ) {}

  get paused(): boolean {
    return this.pauses.size > 0;
  }

  isPaused(endpoint: string): boolean {
    return this.pauses.has(endpoint);
  }

  /** Hears the pauses and resumes of other instances, then calls `changed`; returns how to stop. */
  listen(changed: () => void): () => void {
    return this.budget.onChange(() => {
      this.refresh().then(changed, (error: unknown) => this.log.warn(`reading the shared pauses failed: ${messageOf(error)}`));
    });
  }

  /** The pauses as the budget has them now. */
  async refresh(): Promise<void> {
    this.show(await this.budget.pauses());
  }

  /** Waits until a request to `endpoint` may go out; false when `stopping()` cut the wait short. */
  async waitToSend(endpoint: string, stopped: Promise<void>, stopping: () => boolean): Promise<boolean> {
    const family = familyOf(endpoint);
    let wait = await this.budget.take(family);
    if (wait > 0) this.observer.rateLimitWait?.(wait);
    while (wait > 0) {
      await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), stopped]);
      if (stopping()) return false;
      // A timer may fire a little before the clock says; a 429's block is waited out in full.
      wait = await this.budget.blockedFor(family);
    }
    return true;
  }

  /**
   * What Braze's answer to a request sent at `sentAt` tells the budget. A failure to record
   * it is logged, not thrown: the answer's objects are settled all the same (and a pause
   * holds this instance at least).
   */
  async answered(endpoint: string, reply: BrazeReply, outcome: Outcome, sentAt: number): Promise<void> {
    const family = familyOf(endpoint);
    try {
      await this.budget.observe(family, rateLimitOf(reply));
      if (outcome.kind === 'retry' && !('networkError' in reply) && reply.status === 429 && outcome.retryAfterMs !== null) await this.budget.block(family, this.now() + outcome.retryAfterMs);
      if (outcome.kind === 'pause') await this.budget.pause(endpoint, outcome.reason);
      else if (outcome.kind === 'delivered' && this.isPaused(endpoint)) await this.budget.resume(endpoint, sentAt);
      else return;
      await this.refresh();
    } catch (error) {
      this.log.warn(`the Braze budget could not be updated: ${messageOf(error)}`);
      if (outcome.kind === 'pause') this.show(new Map([...this.pauses, [endpoint, outcome.reason]]));
    }
  }

  /** Whether this instance sends the next probe of a paused endpoint (one instance per probe period). */
  claimProbe(endpoint: string): Promise<boolean> {
    return this.budget.claimProbe(endpoint, this.probeMs);
  }

  private show(next: ReadonlyMap<string, string>): void {
    for (const [endpoint, reason] of next) {
      if (this.pauses.has(endpoint)) continue;
      this.log.error(`delivery to ${endpoint} PAUSED: Braze refused the API key for it (${reason}). Nothing is discarded, the other endpoints go on; probing every ${this.probeMs} ms.`);
      this.observer.paused?.(endpoint, true);
    }
    for (const endpoint of this.pauses.keys()) {
      if (next.has(endpoint)) continue;
      this.log.log(`delivery to ${endpoint} resumed: Braze accepts the API key for it again`);
      this.observer.paused?.(endpoint, false);
    }
    this.pauses = next;
  }
}
