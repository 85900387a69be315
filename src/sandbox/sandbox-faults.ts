import { isJsonObject } from '../engine/json';
import { MinorError, objectsOf } from './braze-validation';

/**
 * What the sandbox is told to do to the next requests. `count: -1` lasts until cleared.
 * `status` answers as told (`retryAfter` adds a Retry-After, as a proxy might: Braze sends
 * none); `queued` accepts the objects and answers 202 `{"message":"queued"}`, as Braze does
 * during maintenance; `fatal-object` is a standing rule: a request carrying an object with
 * every field of `match` is refused whole with a 400 naming that object: Braze refuses
 * some object problems for the whole request without documenting which, so this stands in
 * for them; it applies to `count` such requests. `drip` sends the headers at once and then
 * the body one byte every `intervalMs`; `oversize` sends a body `bytes` long, made as the
 * client reads it; `echo-authorization` answers with an error page quoting the request's
 * headers, Authorization included, as a debugging proxy does; all three answer `status`
 * (drip and oversize 503, echo 401 by default) and take nothing in. `rate-limit` handles
 * the request as usual but its answer says `X-RateLimit-Remaining: remaining` and a reset
 * `resetInSeconds` ahead (a Braze clock far ahead of ours).
 */
export type Fault =
  | { kind: 'status'; status: number; count: number; retryAfter?: number; body?: unknown }
  | { kind: 'slow'; delayMs: number; count: number }
  | { kind: 'drip'; intervalMs: number; bytes?: number; status?: number; count: number }
  | { kind: 'oversize'; bytes: number; status?: number; count: number }
  | { kind: 'echo-authorization'; status?: number; count: number }
  | { kind: 'rate-limit'; remaining: number; resetInSeconds: number; count: number }
  | { kind: 'drop'; count: number }
  | { kind: 'queued'; count: number }
  | { kind: 'fatal-object'; match: Record<string, unknown>; message?: string; count: number };

/** Why a fault posted to the control API cannot be used, or null. */
export function faultProblem(fault: Record<string, unknown>): string | null {
  if (fault.status !== undefined && (typeof fault.status !== 'number' || !Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)) return 'status must be an HTTP status, 100 to 599';
  if (typeof fault.count !== 'number' || !Number.isInteger(fault.count) || fault.count === 0 || fault.count < -1) return 'a fault needs count: a positive integer, or -1 for until cleared';
  if (fault.kind === 'status') return typeof fault.status === 'number' ? null : 'a status fault needs status: a number';
  if (fault.kind === 'slow') return typeof fault.delayMs === 'number' ? null : 'a slow fault needs delayMs: a number';
  if (fault.kind === 'drip') return isCount(fault.intervalMs) && (fault.bytes === undefined || isCount(fault.bytes)) ? null : 'a drip fault needs intervalMs (and bytes, if given): positive integers';
  if (fault.kind === 'oversize') return isCount(fault.bytes) ? null : 'an oversize fault needs bytes: a positive integer';
  if (fault.kind === 'rate-limit') return typeof fault.remaining === 'number' && typeof fault.resetInSeconds === 'number' ? null : 'a rate-limit fault needs remaining and resetInSeconds: numbers';
  if (fault.kind === 'drop' || fault.kind === 'queued' || fault.kind === 'echo-authorization') return null;
  if (fault.kind === 'fatal-object') return isJsonObject(fault.match) && Object.keys(fault.match).length > 0 ? null : 'a fatal-object fault needs match: an object of the fields to match';
  return 'kind must be status, slow, drip, oversize, echo-authorization, rate-limit, drop, queued or fatal-object';
}

const isCount = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;

type FatalObject = Extract<Fault, { kind: 'fatal-object' }>;

/** The faults waiting for the next requests, in order, and the standing fatal-object rules. */
export class Faults {
  private queue: Fault[] = [];
  private rules: FatalObject[] = [];

  inject(fault: Fault): void {
    if (fault.kind === 'fatal-object') this.rules.push({ ...fault });
    else this.queue.push({ ...fault });
  }

  clear(): void {
    this.queue = [];
    this.rules = [];
  }

  list(): Fault[] {
    return [...this.queue, ...this.rules];
  }

  /** The fault for the request arriving now, counted against its `count`. */
  next(): Fault | undefined {
    const fault = this.queue[0];
    if (!fault) return undefined;
    if (fault.count > 0 && --fault.count === 0) this.queue.shift();
    return fault;
  }

  /** The objects of `body` a fatal-object rule refuses, as Braze's errors[]; the rule that matched is counted. */
  fatalObjects(body: Record<string, unknown>): MinorError[] {
    for (const rule of this.rules) {
      const errors = objectsOf(body).flatMap(({ array, index, object }) => (matches(object, rule.match) ? [{ type: rule.message ?? 'Invalid object', input_array: array, index }] : []));
      if (errors.length === 0) continue;
      if (rule.count > 0 && --rule.count === 0) this.rules.splice(this.rules.indexOf(rule), 1);
      return errors;
    }
    return [];
  }
}

function matches(object: unknown, match: Record<string, unknown>): boolean {
  return isJsonObject(object) && Object.entries(match).every(([key, value]) => JSON.stringify(object[key]) === JSON.stringify(value));
}
