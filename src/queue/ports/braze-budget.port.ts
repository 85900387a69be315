/** Braze's `X-RateLimit-*` headers of one answer (src/delivery/braze-response.ts reads them). */
export interface RateLimitState {
  readonly limit: number | null;
  readonly remaining: number | null;
  /** Epoch ms when the window resets. */
  readonly resetAt: number | null;
}

/**
 * The longest wait the budget asks for, whatever Braze's headers say. A reset 1,000,000 s
 * ahead (or a clock far off Braze's) must not stall delivery for days, nor overflow
 * setTimeout's 2^31 ms: an hour is the longest window Braze documents (the MAU plans'
 * hourly limit), so no honest header asks for more.
 */
export const MAX_BUDGET_WAIT_MS = 60 * 60_000;

/** Under this share of the limit left, the rest of the window's budget is spread over what remains of it. */
export const BUDGET_LOW_WATER = 0.1;

/**
 * Braze's rate limit and the key's standing, per workspace: every instance sending with
 * one key spends one budget. Braze limits endpoint families separately (`/users/track`,
 * the other user endpoints), so each call names its family. Times come from the adapter's
 * clock; no wait it returns exceeds MAX_BUDGET_WAIT_MS.
 */
export interface BrazeBudget {
  /**
   * Before a request of `family`: how long to wait before sending it (0: now). The request's
   * share of the remaining budget is taken at once, so a wait is a reservation: after it,
   * only a 429's block is waited out (`blockedFor`), the budget is not asked again.
   */
  take(family: string): Promise<number>;
  /** How long a 429 still holds every request of `family`. */
  blockedFor(family: string): Promise<number>;
  /** After any answer: what its rate-limit headers said (null: none, or no answer). */
  observe(family: string, state: RateLimitState | null): Promise<void>;
  /** A 429: nothing of `family` goes out before `until` (epoch ms). */
  block(family: string, until: number): Promise<void>;
  /**
   * Braze refused the key for `endpoint` (a 401/403, or a 404 naming the key): requests to
   * that endpoint pause everywhere; the other endpoints go on. Per endpoint path because a
   * REST key's permissions are (`users.track`, `users.identify`, `users.alias.new`): a key
   * without one of them is refused on that endpoint only. A wrong key is refused on every
   * endpoint, and pauses each one with its first request. True when this call paused it.
   */
  pause(endpoint: string, reason: string): Promise<boolean>;
  /** A request to `endpoint` sent at `sentAt` succeeded: it resumes, unless its pause began after the request was sent. True when this call resumed it. */
  resume(endpoint: string, sentAt: number): Promise<boolean>;
  /** The paused endpoints and why (empty when none is): as the budget stands now, cheap enough to ask once per round. */
  pauses(): Promise<ReadonlyMap<string, string>>;
  /** While `endpoint` is paused: whether this instance sends its probe; at most one instance in `periodMs` is told yes, per endpoint. */
  claimProbe(endpoint: string, periodMs: number): Promise<boolean>;
  /** Calls `listener` when an endpoint was paused or resumed elsewhere (another instance); returns how to stop. */
  onChange(listener: () => void): () => void;
}

export const BRAZE_BUDGET = Symbol('BrazeBudget');
