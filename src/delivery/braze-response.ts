import { RateLimitState } from '../queue/ports/braze-budget.port';

/**
 * The most of any answer's body that is read. Every answer Braze documents fits many times
 * over (a 201 naming each of 75 objects in `errors[]` is under 20 KB); past it the rest is
 * not read and the connection is cut, so a huge error page costs no memory.
 */
export const MAX_BRAZE_BODY_BYTES = 64 * 1024;

/** What came back from Braze, or why nothing did. `cutAt`: the body was longer, only that many bytes were read. */
export type BrazeReply =
  | { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: unknown; readonly cutAt?: number }
  | { readonly networkError: string };

/** An object Braze named in `errors[]`: body[array][index]. */
export interface FailedObject {
  readonly array: string;
  readonly index: number;
  readonly reason: string;
}

export type Outcome =
  /**
   * 2xx (201 success, 202 queued): delivered, except the objects Braze named in `errors[]`.
   * `note`: what the answer left unknown (a body cut short: the objects it may have named).
   */
  | { readonly kind: 'delivered'; readonly failed: readonly FailedObject[]; readonly note?: string }
  /** Try again later: network errors, timeouts, 408, 423, 429, 5xx but 501/505. */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs: number | null }
  /** 401/403, and a 404 naming the API key: the key, not the data, is wrong. Nothing is discarded. */
  | { readonly kind: 'pause'; readonly reason: string; readonly status: number }
  /**
   * 400/413: the request was refused whole for what it carries (an invalid object, or more
   * objects than the account allows), so its halves may pass. `failed`: the objects Braze named.
   */
  | { readonly kind: 'split'; readonly reason: string; readonly status: number; readonly failed: readonly FailedObject[] }
  /** Other 4xx (a 404 for a bad path), 501, 505: the request will never succeed as it is. */
  | { readonly kind: 'reject'; readonly reason: string; readonly status: number };

export type { RateLimitState } from '../queue/ports/braze-budget.port';

function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

function numberHeader(headers: Readonly<Record<string, string>>, name: string): number | null {
  const value = header(headers, name);
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * `Retry-After` (seconds or an HTTP date) as a delay; for a 429 without it, the time until
 * `X-RateLimit-Reset` (epoch seconds). Braze sends the reset header on every response, so it
 * only means "wait" when the limit was actually hit.
 */
export function retryAfterMs(headers: Readonly<Record<string, string>>, now: number, rateLimited = true): number | null {
  const delay = uncappedRetryAfterMs(headers, now, rateLimited);
  return delay === null ? null : Math.min(delay, MAX_RETRY_AFTER_MS);
}

/** A server asking for more than this is not taken at its word (the wait would block shutdown). */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

function uncappedRetryAfterMs(headers: Readonly<Record<string, string>>, now: number, rateLimited: boolean): number | null {
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = rateLimited ? numberHeader(headers, 'x-ratelimit-reset') : null;
  return reset === null ? null : Math.max(0, reset * 1000 - now);
}

export function rateLimitOf(reply: BrazeReply): RateLimitState | null {
  if ('networkError' in reply) return null;
  const limit = numberHeader(reply.headers, 'x-ratelimit-limit');
  const remaining = numberHeader(reply.headers, 'x-ratelimit-remaining');
  const reset = numberHeader(reply.headers, 'x-ratelimit-reset');
  if (limit === null && remaining === null && reset === null) return null;
  return { limit, remaining, resetAt: reset === null ? null : reset * 1000 };
}

function messageOf(body: unknown): string {
  if (body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    const errors = (body as { errors?: unknown }).errors;
    const detail = Array.isArray(errors) && errors.length > 0 ? `: ${JSON.stringify(errors).slice(0, 500)}` : '';
    return (body as { message: string }).message + detail;
  }
  return typeof body === 'string' ? body.slice(0, 500) : JSON.stringify(body ?? null).slice(0, 500);
}

const RETRYABLE = new Set([408, 423, 429]);
const SPLITTABLE = new Set([400, 413]);
/** Braze answers 404 "Unknown REST API Key" for a key it does not know, and a plain 404 for a bad path. */
const NAMES_THE_KEY = /\bapi[ _-]?key\b/i;

function failedObjects(body: unknown): FailedObject[] {
  const errors = body !== null && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e) => {
    const { input_array: array, index, type } = (e ?? {}) as { input_array?: unknown; index?: unknown; type?: unknown };
    return typeof array === 'string' && typeof index === 'number' ? [{ array, index, reason: `Braze: ${String(type ?? 'rejected')}` }] : [];
  });
}

/** Braze's retry classes, decided once, next to the client (see shared/reference). */
export function classify(reply: BrazeReply, now: number): Outcome {
  if ('networkError' in reply) return { kind: 'retry', reason: reply.networkError, retryAfterMs: null };
  const { status, body, headers, cutAt } = reply;
  const cut = cutAt === undefined ? '' : ` (body cut at ${cutAt} bytes)`;
  // A 2xx means Braze took the request: sending it again would store its events twice, so a
  // cut one counts as delivered, and what its unread errors[] may have refused is said.
  if (status >= 200 && status < 300 && cutAt !== undefined) return { kind: 'delivered', failed: [], note: `HTTP ${status}${cut}: any objects its errors[] named were not dead-lettered` };
  if (status >= 200 && status < 300) return { kind: 'delivered', failed: failedObjects(body) };
  const reason = `HTTP ${status}${cut}: ${messageOf(body)}`;
  if (status === 401 || status === 403 || (status === 404 && NAMES_THE_KEY.test(messageOf(body)))) return { kind: 'pause', reason, status };
  if (SPLITTABLE.has(status)) return { kind: 'split', reason, status, failed: failedObjects(body) };
  if (RETRYABLE.has(status) || (status >= 500 && status !== 501 && status !== 505)) {
    return { kind: 'retry', reason, retryAfterMs: retryAfterMs(headers, now, status === 429) };
  }
  return { kind: 'reject', reason, status };
}

/** Exponential backoff with jitter: base·2^attempt, capped, scaled into [½, 1]. */
export function backoffMs(attempt: number, random: number, baseMs = 1000, capMs = 5 * 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random / 2));
}
