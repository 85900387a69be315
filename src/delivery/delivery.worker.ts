import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { WorkItem } from '../queue/work-item';
import { backoffMs, classify, Outcome, rateLimitOf } from './braze-response';
import { BrazeSender } from './braze-sender';
import { pack, PackedRequest, PackLimits, perUserCap } from './pack';
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

/** Where the worker reports what happens (metrics); all optional. */
export interface DeliveryObserver {
  request?(endpoint: string, statusClass: string, seconds: number): void;
  delivered?(objects: number): void;
  retried?(objects: number): void;
  deadLettered?(objects: number): void;
  rateLimitWait?(ms: number): void;
}

/**
 * Leases pending objects, packs them into Braze requests, sends them with bounded
 * concurrency, and settles every object: delivered, retried later, or dead-lettered with
 * Braze's reason. A 401/403 pauses everything until a probe succeeds.
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

  private get roundSize(): number {
    const perRequest = this.options.limits.trackCombined ?? this.options.limits.trackArray * 3;
    return perRequest * this.options.concurrency;
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

  private async sendOne(request: PackedRequest): Promise<void> {
    const limiter = this.limiterFor(request.endpoint);
    const wait = limiter.delay(this.now());
    if (wait > 0) {
      limiter.recordWait(wait);
      this.observer.rateLimitWait?.(wait);
      await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), this.stopped]);
      if (this.stopping) {
        this.store.release(request.placed.map((p) => p.item.id));
        return;
      }
    }
    const started = performance.now();
    const reply = await this.sender.send({ endpoint: request.endpoint, body: request.body });
    limiter.observe(rateLimitOf(reply));
    const outcome = classify(reply, this.now());
    const statusClass = 'networkError' in reply ? 'network' : `${Math.floor(reply.status / 100)}xx`;
    this.counters.requests[statusClass] = (this.counters.requests[statusClass] ?? 0) + 1;
    this.observer.request?.(request.endpoint, statusClass, (performance.now() - started) / 1000);
    this.settle(request, outcome, 'networkError' in reply ? null : reply.status);
  }

  private settle(request: PackedRequest, outcome: Outcome, status: number | null): void {
    const ids = request.placed.map((p) => p.item.id);
    switch (outcome.kind) {
      case 'delivered': {
        const failed = new Map(outcome.failed.map((f) => [`${f.array}/${f.index}`, f.reason]));
        const dead = request.placed.filter((p) => failed.has(`${p.array}/${p.index}`));
        const done = request.placed.filter((p) => !failed.has(`${p.array}/${p.index}`));
        this.store.deadLetter(dead.map((p) => ({ id: p.item.id, reason: failed.get(`${p.array}/${p.index}`)!, status })));
        this.store.ack(done.map((p) => p.item.id));
        this.store.markMerged(done.flatMap((p) => (p.item.mergeKey === null ? [] : [p.item.mergeKey])));
        this.counters.objectsDelivered += done.length;
        this.counters.objectsDeadLettered += dead.length;
        this.observer.delivered?.(done.length);
        if (dead.length > 0) this.observer.deadLettered?.(dead.length);
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

  private pause(reason: string): void {
    if (this.status !== 'paused') this.log.error(`delivery PAUSED: Braze rejected the API key (${reason}). Nothing is discarded; retrying every ${this.options.pauseProbeMs} ms.`);
    this.status = 'paused';
    this.pauseReason = reason;
  }

  private resume(): void {
    this.log.log('delivery resumed: Braze accepts the API key again');
    this.status = 'running';
    this.pauseReason = null;
  }
}
