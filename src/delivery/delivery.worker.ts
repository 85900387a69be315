import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { WorkItem } from '../queue/work-item';
import { backoffMs, classify, FailedObject, Outcome, rateLimitOf } from './braze-response';
import { BrazeSender } from './braze-sender';
import { halves, objectsPerTrackRequest, pack, PackedRequest, PackLimits, perUserCap } from './pack';
import { RateLimiter } from './rate-limiter';

export interface WorkerOptions {
  readonly flushMs: number;
  readonly concurrency: number;
  readonly limits: PackLimits;
  readonly maxAttempts: number;
  readonly pauseProbeMs: number;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
}

export interface WorkerLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DeliveryCounters {
  objectsDelivered: number;
  objectsDeadLettered: number;
  objectsRetried: number;
  mergesSkipped: number;
  requests: Record<string, number>;
}

type Status = 'running' | 'paused' | 'stopped';

const MAX_IDLE_MS = 5000;
const TOO_LARGE = /Max Input Length Exceeded/i;

/** Where the worker reports what happens (metrics); all optional. */
export interface DeliveryObserver {
  request?(endpoint: string, statusClass: string, seconds: number): void;
  delivered?(objects: number): void;
  retried?(objects: number): void;
  deadLettered?(objects: number): void;
  rateLimitWait?(ms: number): void;
  /** Delivery paused (true) or resumed (false). */
  paused?(paused: boolean): void;
}

/**
 * Leases pending objects, packs them into Braze requests, sends them with bounded
 * concurrency, and settles every object: delivered, retried later, or dead-lettered with
 * Braze's reason. A 401/403 (or a 404 naming the key) pauses everything until a probe
 * succeeds. A request Braze refuses whole for its content (400/413) is split in halves, sent
 * left then right, down to the single objects at fault.
 */
export class DeliveryWorker {
  status: Status = 'stopped';
  pauseReason: string | null = null;
  readonly counters: DeliveryCounters = { objectsDelivered: 0, objectsDeadLettered: 0, objectsRetried: 0, mergesSkipped: 0, requests: {} };
  /** Braze limits /users/track separately from the other user endpoints. */
  private readonly limiters = new Map<string, RateLimiter>();
  /** Grows while leases come back empty (all waiting on retries), so a big blocked backlog is not rescanned every flush. */
  private idleMs = 0;
  private nudged = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private stopping = false;
  private signalStop: () => void = () => undefined;
  /** Resolves when stop() is called, to cut rate-limit waits short. */
  private stopped: Promise<void> = new Promise((resolve) => (this.signalStop = resolve));

  constructor(
    private readonly store: SqliteQueue,
    private readonly sender: BrazeSender,
    private readonly now: () => number,
    private readonly options: WorkerOptions,
    private readonly log: WorkerLog,
    private readonly random: () => number = Math.random,
    private readonly observer: DeliveryObserver = {},
  ) {}

  limiterFor(endpoint: string): RateLimiter {
    const family = endpoint === '/users/track' ? 'track' : 'users';
    let limiter = this.limiters.get(family);
    if (!limiter) this.limiters.set(family, (limiter = new RateLimiter()));
    return limiter;
  }

  start(): void {
    this.store.onEnqueued = () => {
      // New work: stop backing off, but keep the flush wait so batches still fill.
      if (this.idleMs > this.options.flushMs) {
        this.idleMs = this.options.flushMs;
        this.nudged = true;
        this.wake?.();
      }
    };
    this.stopping = false;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.status = 'running';
    this.loopDone = this.loop();
  }

  /** Stops leasing, lets in-flight requests finish and settle, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.wake?.();
    await this.loopDone;
    this.status = 'stopped';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  /** One full /users/track request per lane. */
  private get roundSize(): number {
    return objectsPerTrackRequest(this.options.limits) * this.options.concurrency;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.status === 'paused') {
          await this.sleep(this.options.pauseProbeMs);
          if (this.stopping) break;
          // A small probe: if the key works again, delivery resumes.
          const probe = this.store.lease(perUserCap(this.options.limits));
          if (probe.length > 0) await this.deliverOrRelease(probe);
          continue;
        }
        const items = this.store.lease(this.roundSize, perUserCap(this.options.limits));
        if (items.length > 0) await this.deliverOrRelease(items);
        this.idleMs = items.length > 0 ? this.options.flushMs : Math.min(Math.max(this.idleMs * 2, this.options.flushMs), MAX_IDLE_MS);
        if (items.length < this.roundSize && !this.stopping) await this.sleep(this.idleMs);
        if (this.nudged && !this.stopping) {
          this.nudged = false;
          await this.sleep(this.options.flushMs); // let the new batch fill before leasing
        }
      } catch (error) {
        this.log.error(`delivery round failed: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(this.options.flushMs);
      }
    }
  }

  /** If a round fails outside a request (say the store is busy), its objects go back to the queue. */
  private async deliverOrRelease(items: WorkItem[]): Promise<void> {
    try {
      await this.deliver(items);
    } catch (error) {
      try {
        this.store.release(items.map((item) => item.id)); // settled rows are gone; releasing them is a no-op
      } catch {
        // The store itself is failing; the leases are released on the next start.
      }
      throw error;
    }
  }

  private async deliver(items: WorkItem[]): Promise<void> {
    const send: WorkItem[] = [];
    const skipped: number[] = [];
    const keys = new Set<string>();
    for (const item of items) {
      if (item.mergeKey !== null && (keys.has(item.mergeKey) || this.store.isMerged(item.mergeKey))) {
        skipped.push(item.id);
        continue;
      }
      if (item.mergeKey !== null) keys.add(item.mergeKey);
      send.push(item);
    }
    if (skipped.length > 0) {
      this.store.ack(skipped);
      this.counters.mergesSkipped += skipped.length;
    }
    const requests = pack(send, this.options.limits);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.options.concurrency, requests.length) }, async () => {
      while (next < requests.length) {
        const request = requests[next++];
        try {
          await this.sendOne(request);
        } catch (error) {
          // Never leave objects leased: a leased object blocks every later object of its user.
          this.log.error(`settling a ${request.endpoint} request failed, its objects go back to the queue: ${error instanceof Error ? error.message : String(error)}`);
          try {
            this.store.release(request.placed.map((p) => p.item.id));
          } catch {
            // The store itself is failing; the leases are released on the next start.
          }
        }
      }
    });
    await Promise.all(lanes);
  }

  /** Sends one request and settles its objects; true when every one of them is settled for good (delivered or dead-lettered). */
  private async sendOne(request: PackedRequest, depth = 0): Promise<boolean> {
    const limiter = this.limiterFor(request.endpoint);
    let wait = limiter.delay(this.now());
    if (wait > 0) {
      limiter.recordWait(wait);
      this.observer.rateLimitWait?.(wait);
    }
    while (wait > 0) {
      await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), this.stopped]);
      if (this.stopping) {
        this.store.release(request.placed.map((p) => p.item.id));
        return false;
      }
      // A timer may fire a little before the clock says; a 429's block is waited out in full.
      wait = limiter.blockedFor(this.now());
    }
    const started = performance.now();
    const reply = await this.sender.send({ endpoint: request.endpoint, body: request.body });
    limiter.observe(rateLimitOf(reply));
    const outcome = classify(reply, this.now());
    const statusClass = 'networkError' in reply ? 'network' : `${Math.floor(reply.status / 100)}xx`;
    this.counters.requests[statusClass] = (this.counters.requests[statusClass] ?? 0) + 1;
    this.observer.request?.(request.endpoint, statusClass, (performance.now() - started) / 1000);
    if (outcome.kind === 'split') return this.split(request, outcome, depth);
    this.settle(request, outcome, 'networkError' in reply ? null : reply.status);
    return outcome.kind === 'delivered' || outcome.kind === 'reject';
  }

  /**
   * A request refused whole: its halves go out one after the other, the left (each user's
   * earlier objects) first; the right waits for the left to be settled for good, else it
   * goes back to the queue, where it stays behind the left's retries. What Braze refuses
   * alone is dead-lettered with Braze's reason.
   */
  private async split(request: PackedRequest, outcome: Extract<Outcome, { kind: 'split' }>, depth: number): Promise<boolean> {
    const named = new Map(outcome.failed.map((f) => [`${f.array}/${f.index}`, f.reason]));
    if (request.placed.length === 1 || request.placed.every((p) => named.has(`${p.array}/${p.index}`))) {
      this.deadLetter(request, request.placed.map((p) => ({ array: p.array, index: p.index, reason: named.get(`${p.array}/${p.index}`) ?? outcome.reason })), outcome.status);
      return true;
    }
    if (depth === 0) {
      const hint = TOO_LARGE.test(outcome.reason) ? ' (is BRAZE_TRACK_BATCH_SHAPE or BRAZE_TRACK_BATCH_SIZE over what the account allows?)' : '';
      this.log.warn(`Braze refused a ${request.endpoint} request of ${request.placed.length} objects (${outcome.reason})${hint}; sending it in halves to find the objects at fault`);
    }
    const [left, right] = halves(request);
    if (!(await this.sendOne(left, depth + 1))) {
      this.store.release(right.placed.map((p) => p.item.id));
      return false;
    }
    return this.sendOne(right, depth + 1);
  }

  private settle(request: PackedRequest, outcome: Exclude<Outcome, { kind: 'split' }>, status: number | null): void {
    const ids = request.placed.map((p) => p.item.id);
    switch (outcome.kind) {
      case 'delivered': {
        const failed = new Set(outcome.failed.map((f) => `${f.array}/${f.index}`));
        const done = request.placed.filter((p) => !failed.has(`${p.array}/${p.index}`));
        this.deadLetter(request, outcome.failed, status);
        this.store.ack(done.map((p) => p.item.id));
        this.store.markMerged(done.flatMap((p) => (p.item.mergeKey === null ? [] : [p.item.mergeKey])));
        this.counters.objectsDelivered += done.length;
        this.observer.delivered?.(done.length);
        if (this.status === 'paused') this.resume();
        return;
      }
      case 'retry': {
        const now = this.now();
        if (status === 429 && outcome.retryAfterMs !== null) this.limiterFor(request.endpoint).block(now + outcome.retryAfterMs);
        // Decided per object: a fresh object packed beside an old one keeps its own count.
        const spent = request.placed.filter((p) => p.item.attempts + 1 >= this.options.maxAttempts).map((p) => p.item);
        if (spent.length > 0) {
          this.store.deadLetter(spent.map((item) => ({ id: item.id, reason: `gave up after ${item.attempts + 1} attempts: ${outcome.reason}`, status })));
          this.counters.objectsDeadLettered += spent.length;
          this.observer.deadLettered?.(spent.length);
        }
        const again = request.placed.filter((p) => p.item.attempts + 1 < this.options.maxAttempts).map((p) => p.item);
        if (again.length === 0) return;
        const attempts = Math.max(...again.map((item) => item.attempts)) + 1;
        const delay = Math.max(backoffMs(attempts - 1, this.random(), this.options.retryBaseMs, this.options.retryCapMs), outcome.retryAfterMs ?? 0);
        this.store.retry(again.map((item) => item.id), now + delay);
        this.counters.objectsRetried += again.length;
        this.observer.retried?.(again.length);
        this.log.warn(`Braze ${request.endpoint} will be retried in ${delay} ms (${again.length} objects): ${outcome.reason}`);
        return;
      }
      case 'pause':
        this.store.release(ids);
        this.pause(outcome.reason);
        return;
      case 'reject':
        this.store.deadLetter(ids.map((id) => ({ id, reason: outcome.reason, status })));
        this.counters.objectsDeadLettered += ids.length;
        this.observer.deadLettered?.(ids.length);
        this.log.warn(`Braze refused ${request.endpoint} (${ids.length} objects dead-lettered): ${outcome.reason}`);
        return;
    }
  }

  /** Dead-letters the objects Braze refused one by one, and says so: how many, and Braze's reasons with their counts. */
  private deadLetter(request: PackedRequest, failed: readonly FailedObject[], status: number | null): void {
    const reasons = new Map(failed.map((f) => [`${f.array}/${f.index}`, f.reason]));
    const dead = request.placed.filter((p) => reasons.has(`${p.array}/${p.index}`));
    if (dead.length === 0) return;
    this.store.deadLetter(dead.map((p) => ({ id: p.item.id, reason: reasons.get(`${p.array}/${p.index}`)!, status })));
    this.counters.objectsDeadLettered += dead.length;
    this.observer.deadLettered?.(dead.length);
    const counts = new Map<string, number>();
    for (const p of dead) {
      const reason = reasons.get(`${p.array}/${p.index}`)!;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    const summary = [...counts].map(([reason, n]) => `${n}× ${reason}`).join('; ');
    this.log.warn(`Braze refused ${dead.length} of ${request.placed.length} objects of a ${request.endpoint} request (HTTP ${status}), dead-lettered: ${summary.slice(0, 1000)}`);
  }

  private pause(reason: string): void {
    if (this.status !== 'paused') this.log.error(`delivery PAUSED: Braze rejected the API key (${reason}). Nothing is discarded; retrying every ${this.options.pauseProbeMs} ms.`);
    this.status = 'paused';
    this.pauseReason = reason;
    this.observer.paused?.(true);
  }

  private resume(): void {
    this.log.log('delivery resumed: Braze accepts the API key again');
    this.status = 'running';
    this.pauseReason = null;
    this.observer.paused?.(false);
  }
}
