/** How often the loops' hosts look for a stall, so that one is logged and counted when it happens, not when someone asks. */
export const STALL_CHECK_MS = 1000;

/** How one loop stands, as /health/delivery shows it. */
export interface LoopState {
  readonly stalled: boolean;
  /** Why it is stalled; null while it is not. */
  readonly reason: string | null;
  readonly lastProgressAt: string;
  /** The last failure, whether or not the loop has recovered since. */
  readonly lastError: { readonly message: string; readonly at: string } | null;
}

/**
 * One loop's progress (the inbox expansion, the delivery worker), told by the loop itself:
 * each step forward, each failure, and when it has nothing to do. A loop that has work (or
 * keeps failing) and has made no step forward for `stallMs` is stalled: a loop that never
 * ends a round and one that fails every round both stop delivery while the process looks
 * healthy. `check()` reports each change once, for the log line and the metric.
 */
export class LoopHealth {
  private lastProgressAt: number;
  private lastError: { message: string; at: number } | null = null;
  private failing = false;
  /** Nothing to do until told otherwise: no progress is expected. */
  private resting = false;
  private stalled = false;

  constructor(
    private readonly now: () => number,
    private readonly stallMs: number,
    private readonly changed: (state: LoopState) => void,
  ) {
    this.lastProgressAt = now();
  }

  /** A step forward: a round settled, a transaction committed, a request answered. */
  progressed(): void {
    this.lastProgressAt = Math.max(this.lastProgressAt, this.now());
    this.failing = false;
    this.resting = false;
  }

  /** A legitimate wait of `ms` ahead (Braze's rate limit): not a stall while it lasts. */
  waiting(ms: number): void {
    this.lastProgressAt = Math.max(this.lastProgressAt, this.now() + ms);
  }

  /** Nothing to do now. `untilWork`: the loop rests until `workArrived()`, instead of looking again by itself. */
  idle(untilWork = false): void {
    this.progressed();
    this.resting = untilWork;
  }

  /** New work for a resting loop: from now on it is expected to progress. */
  workArrived(): void {
    if (!this.resting) return;
    this.resting = false;
    this.lastProgressAt = Math.max(this.lastProgressAt, this.now());
  }

  failed(message: string): void {
    this.lastError = { message: message.slice(0, 1000), at: this.now() };
    this.failing = true;
    this.resting = false;
  }

  state(): LoopState {
    const stuckMs = this.now() - this.lastProgressAt;
    const stalled = !this.resting && stuckMs >= this.stallMs;
    const seconds = Math.round(stuckMs / 1000);
    const reason = !stalled ? null : this.failing && this.lastError ? `failing for ${seconds} s: ${this.lastError.message}` : `no progress for ${seconds} s`;
    const lastError = this.lastError && { message: this.lastError.message, at: new Date(this.lastError.at).toISOString() };
    return { stalled, reason, lastProgressAt: new Date(Math.min(this.lastProgressAt, this.now())).toISOString(), lastError };
  }

  /** The state now; `changed` hears it when it stalled or recovered since the last check. */
  check(): LoopState {
    const state = this.state();
    if (state.stalled !== this.stalled) {
      this.stalled = state.stalled;
      this.changed(state);
    }
    return state;
  }
}
