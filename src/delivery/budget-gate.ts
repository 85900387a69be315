import { BrazeBudget } from '../queue/ports/braze-budget.port';
import { BrazeReply, Outcome, rateLimitOf } from './braze-response';
import type { DeliveryObserver, WorkerLog } from './delivery.worker';

/** Braze limits /users/track separately from the other user endpoints. */
export const familyOf = (endpoint: string): string => (endpoint === '/users/track' ? 'track' : 'users');

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The worker's side of the Braze budget: the wait before each request, what Braze's answer
 * means for the budget and the pause, and the pause as this instance knows it (health and
 * the paused metric read it), brought up to date before each round and whenever another
 * instance pauses or resumes.
 */
export class BudgetGate {
  /** Why delivery is paused, or null. */
  pauseReason: string | null = null;

  constructor(
    private readonly budget: BrazeBudget,
    private readonly now: () => number,
    private readonly probeMs: number,
    private readonly log: WorkerLog,
    private readonly observer: DeliveryObserver,
  ) {}

  get paused(): boolean {
    return this.pauseReason !== null;
  }

  /** Hears the pauses and resumes of other instances, then calls `changed`; returns how to stop. */
  listen(changed: () => void): () => void {
    return this.budget.onChange(() => {
      this.refresh().then(changed, (error: unknown) => this.log.warn(`reading the shared pause failed: ${messageOf(error)}`));
    });
  }

  /** The pause as the budget has it now. */
  async refresh(): Promise<void> {
    this.show(await this.budget.pauseReason());
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
      if (outcome.kind === 'pause') await this.budget.pause(outcome.reason);
      else if (outcome.kind === 'delivered' && this.paused) await this.budget.resume(sentAt);
      else return;
      await this.refresh();
    } catch (error) {
      this.log.warn(`the Braze budget could not be updated: ${messageOf(error)}`);
      if (outcome.kind === 'pause') this.show(outcome.reason);
    }
  }

  /** Whether this instance sends the next probe of a paused key (one instance per probe period). */
  claimProbe(): Promise<boolean> {
    return this.budget.claimProbe(this.probeMs);
  }

  private show(reason: string | null): void {
    if (reason !== null && !this.paused) this.log.error(`delivery PAUSED: Braze rejected the API key (${reason}). Nothing is discarded; retrying every ${this.probeMs} ms.`);
    if (reason === null && this.paused) this.log.log('delivery resumed: Braze accepts the API key again');
    if ((reason !== null) !== this.paused) this.observer.paused?.(reason !== null);
    this.pauseReason = reason;
  }
}
