import { AttributeMemory } from '../queue/ports/attribute-memory.port';
import { MergeMemory } from '../queue/ports/merge-memory.port';
import { Lease, Settlement, WorkId, WorkItem, WorkQueue } from '../queue/ports/work-queue.port';
import { BrazeBudget } from '../queue/ports/braze-budget.port';
import { LoopHealth, LoopState } from '../observability/loop-health';
import { AttributeFilter, ChangesObserver, RoundChanges } from './attribute-filter';
import { backoffMs, classify, FailedObject, Outcome } from './braze-response';
import { BrazeSender } from './braze-sender';
import { BudgetGate } from './budget-gate';
import { LocalBudget } from './local-budget';
import { keepExtending } from './lease-keeper';
import { halves, objectsPerTrackRequest, pack, PackedRequest, PackLimits, roundLimits } from './pack';

export interface WorkerOptions {
  readonly flushMs: number;
  readonly concurrency: number;
  readonly limits: PackLimits;
  readonly maxAttempts: number;
  readonly pauseProbeMs: number;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  /** Who holds this worker's leases: one id per instance, made at its start. */
  readonly owner: string;
  /** How long a lease holds without being extended; requests in flight extend it every third of that. */
  readonly leaseTtlMs: number;
  /** After how long without progress the worker counts as stalled (health, metrics); default 2 minutes. */
  readonly stallMs?: number;
}

/** The store's side of delivery, as ports. */
export interface DeliveryStore {
  readonly queue: WorkQueue;
  readonly merges: MergeMemory;
  /** The Braze budget, shared by every instance on a shared store; this instance's own by default. */
  readonly budget?: BrazeBudget;
  /** What Braze accepted of each user's attributes, to send only what changed; none: everything is sent. */
  readonly attributes?: AttributeMemory | null;
}

/** What a round decided, settled in one step when it ends; the lease's other objects go back to the queue. */
interface RoundSettlement extends Settlement {
  readonly ack: WorkId[];
  readonly retry: { id: WorkId; notBefore: number }[];
  readonly deadLetter: { id: WorkId; reason: string; status: number | null }[];
  readonly defer: { id: WorkId; notBefore: number }[];
  /** The /users/identify pairs Braze merged in the round. */
  readonly merged: string[];
  /** The paused endpoints whose probe the round has asked for (won or not): one per endpoint. */
  readonly probed: Set<string>;
  /** The round's attributes objects compared with what Braze has (set before packing). */
  changes: RoundChanges | null;
}

const NONE_MERGED: ReadonlySet<string> = new Set();

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
  /** Delivery to `endpoint` paused (true) or resumed (false). */
  paused?(endpoint: string, paused: boolean): void;
  /** The worker stalled or recovered (see LoopHealth). */
  stalled?(state: LoopState): void;
  /** Data points sent and saved, objects not sent (attribute-filter.ts). */
  changes?: ChangesObserver;
}

/**
 * Leases pending objects, packs them into Braze requests, sends them with bounded
 * concurrency, and settles the round's objects in one step: delivered, retried later,
 * dead-lettered with Braze's reason, or back in the queue. Requests wait for the Braze
 * budget (one for every instance on a shared store; see BudgetGate). A 401/403 (or a 404
 * naming the key) pauses the request's endpoint until a probe to it succeeds: its objects
 * are deferred a probe period at a time, so their users' later objects wait behind them,
 * and every other user's work goes on. A request Braze refuses whole
 * for its content (400/413) is split in halves, sent left then right, down to the single
 * objects at fault.
 */
export class DeliveryWorker {
  readonly counters: DeliveryCounters = { objectsDelivered: 0, objectsDeadLettered: 0, objectsRetried: 0, mergesSkipped: 0, requests: {} };
  private running = false;
  /** The loop's progress, for health and the stalled metric. */
  readonly health: LoopHealth;
  /** Grows while leases come back empty (all waiting on retries), so a big blocked backlog is not rescanned every flush. */
  private idleMs = 0;
  /** Rounds failed in a row. */
  private failures = 0;
  private nudged = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private stopping = false;
  private signalStop: () => void = () => undefined;
  /** Resolves when stop() is called, to cut rate-limit waits short. */
  private stopped: Promise<void> = new Promise((resolve) => (this.signalStop = resolve));
  private unlisten: (() => void)[] = [];
  private sweptAt = Number.NEGATIVE_INFINITY;
  private readonly queue: WorkQueue;
  private readonly merges: MergeMemory;
  private readonly gate: BudgetGate;
  private readonly attributes: AttributeFilter;

  constructor(
    store: DeliveryStore,
    private readonly sender: BrazeSender,
    private readonly now: () => number,
    private readonly options: WorkerOptions,
    private readonly log: WorkerLog,
    private readonly random: () => number = Math.random,
    private readonly observer: DeliveryObserver = {},
  ) {
    this.queue = store.queue;
    this.merges = store.merges;
    this.attributes = new AttributeFilter(store.attributes ?? null, log, observer.changes);
    this.health = new LoopHealth(now, options.stallMs ?? 120_000, (state) => {
      if (state.stalled) log.error(`delivery STALLED: ${state.reason}`);
      else log.log('delivery makes progress again');
      observer.stalled?.(state);
    });
    // Waiting for Braze's rate limit is not a stall, however long Braze asks for.
    const waits = { ...observer, rateLimitWait: (ms: number) => (this.health.waiting(ms), observer.rateLimitWait?.(ms)) };
    this.gate = new BudgetGate(store.budget ?? new LocalBudget(now), now, options.pauseProbeMs, log, waits);
  }

  get status(): Status {
    if (!this.running) return 'stopped';
    return this.gate.paused ? 'paused' : 'running';
  }

  /** Why delivery is paused (Braze refused the key for an endpoint), or null: the first paused endpoint's reason. */
  get pauseReason(): string | null {
    return this.gate.pauses.values().next().value ?? null;
  }

  /** The paused endpoints and why. */
  get pauses(): ReadonlyMap<string, string> {
    return this.gate.pauses;
  }

  start(): void {
    this.stopListening();
    // A pause or resume elsewhere ends the wait between rounds (or probes) at once.
    this.unlisten.push(this.gate.listen(() => this.wake?.()));
    this.unlisten.push(this.queue.wakeUp.listen(() => {
      // New work: stop backing off, but keep the flush wait so batches still fill.
      if (this.idleMs > this.options.flushMs) {
        this.idleMs = this.options.flushMs;
        this.nudged = true;
        this.wake?.();
      }
    }));
    this.stopping = false;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops leasing, lets in-flight requests finish and settle, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.wake?.();
    await this.loopDone;
    this.stopListening();
    this.running = false;
  }

  private stopListening(): void {
    for (const unlisten of this.unlisten.splice(0)) unlisten();
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
        await this.sweepIfDue();
        await this.gate.refresh();
        const leased = await this.round(this.roundSize);
        this.recovered();
        if (leased > 0) this.health.progressed();
        else this.health.idle();
        this.idleMs = leased > 0 ? this.options.flushMs : Math.min(Math.max(this.idleMs * 2, this.options.flushMs), MAX_IDLE_MS);
        if (leased < this.roundSize && !this.stopping) {
          this.health.waiting(this.idleMs); // resting between rounds is not a stall
          await this.sleep(this.idleMs);
        }
        if (this.nudged && !this.stopping) {
          this.nudged = false;
          await this.sleep(this.options.flushMs); // let the new batch fill before leasing
        }
      } catch (error) {
        await this.sleep(this.failed(error));
      }
    }
  }

  /**
   * A round that failed (the store unreachable, say): logged the first time and then every
   * 20th, and tried again ever more slowly up to every 5 s, so an outage of the store is a
   * few lines, not five a second. Answers how long to wait.
   */
  private failed(error: unknown): number {
    this.failures++;
    const why = error instanceof Error ? error.message : String(error);
    this.health.failed(why);
    if (this.failures === 1 || this.failures % 20 === 0) this.log.error(`delivery round failed${this.failures > 1 ? ` (${this.failures} in a row)` : ''}, trying again: ${why}`);
    return Math.min(this.options.flushMs * 2 ** Math.min(this.failures - 1, 16), MAX_IDLE_MS);
  }

  private recovered(): void {
    if (this.failures === 0) return;
    this.log.warn(`delivery rounds work again, after ${this.failures} failed`);
    this.failures = 0;
  }

  /** Expired leases (a stalled or dead owner's) back in the queue, every half lease TTL. */
  private async sweepIfDue(): Promise<void> {
    const now = this.now();
    if (now - this.sweptAt < this.options.leaseTtlMs / 2) return;
    this.sweptAt = now;
    const back = await this.queue.sweep();
    if (back > 0) this.log.warn(`${back} object(s) of expired leases went back to the queue, to be sent again`);
  }

  /**
   * One lease, delivered and settled in one step; what the round did not settle for good
   * (a stop, a failure, a pause) goes back to the queue
   * with it. Its lease is extended while requests are in flight. Returns how many objects
   * were leased.
   */
  private async round(limit: number): Promise<number> {
    const ttl = this.options.leaseTtlMs;
    const lease = await this.queue.lease(this.options.owner, roundLimits(this.options.limits, limit), ttl);
    if (lease.items.length === 0) return 0;
    const round: RoundSettlement = { ack: [], retry: [], deadLetter: [], defer: [], merged: [], probed: new Set(), changes: null };
    const stopExtending = keepExtending(this.queue, lease, ttl, this.log);
    try {
      await this.deliver(lease.items, round);
    } finally {
      stopExtending();
      await this.settleRound(lease, round);
    }
    return lease.items.length;
  }

  private async settleRound(lease: Lease, round: RoundSettlement): Promise<void> {
    const riders = round.changes?.ridersToAck() ?? [];
    round.ack.push(...riders);
    // Settled first: a failure after it costs at most a merge sent again, one before it the whole round.
    const result = await this.queue.settle(lease, round);
    if (!result.settled) this.log.warn(`a round's settlement was refused (${result.reason}); its objects will be sent again`);
    await round.changes?.finish(result.settled, riders);
    // Braze merged these whatever became of the lease.
    if (round.merged.length === 0) return;
    try {
      await this.merges.remember(round.merged);
    } catch (error) {
      this.log.warn(`remembering ${round.merged.length} alias merge(s) failed, so they may be sent again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async deliver(items: readonly WorkItem[], round: RoundSettlement): Promise<void> {
    const send: WorkItem[] = [];
    const keys = new Set<string>();
    const mergeKeys = items.flatMap((item) => (item.mergeKey === null ? [] : [item.mergeKey]));
    const merged = mergeKeys.length > 0 ? await this.merges.merged(mergeKeys) : NONE_MERGED;
    for (const item of items) {
      if (item.mergeKey !== null && (keys.has(item.mergeKey) || merged.has(item.mergeKey))) {
        round.ack.push(item.id);
        this.counters.mergesSkipped++;
        continue;
      }
      if (item.mergeKey !== null) keys.add(item.mergeKey);
      send.push(item);
    }
    const changes = (round.changes = await this.attributes.prepare(send));
    // Nothing in them changed: delivered without being sent.
    round.ack.push(...changes.unsent);
    const requests = pack(changes.send, this.options.limits);
    let next = 0;
    const lanes = Array.from({ length: Math.min(this.options.concurrency, requests.length) }, async () => {
      while (next < requests.length) {
        const request = requests[next++];
        try {
          await this.sendOne(request, round);
        } catch (error) {
          // Left unsettled, its objects go back to the queue with the round's settlement.
          this.log.error(`a ${request.endpoint} request failed, its objects go back to the queue: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
    await Promise.all(lanes);
  }

  /** Sends one request and records its objects' fate in the round; true when every one of them is settled for good (delivered or dead-lettered). */
  private async sendOne(request: PackedRequest, round: RoundSettlement, depth = 0): Promise<boolean> {
    // Once stopping, nothing new goes out (a round's later requests, a split's halves): unsettled, it goes back to the queue.
    if (this.stopping) return false;
    const way = await this.wayOf(request, round);
    if (way === 'held') return false;
    if (!(await this.gate.waitToSend(request.endpoint, this.stopped, () => this.stopping)) || this.stopping) return false;
    // Paused while it waited for the budget (another request's answer): held back like the others.
    if (way === 'open' && this.gate.isPaused(request.endpoint)) return this.holdBack(request, round);
    const started = performance.now();
    const sentAt = this.now();
    const reply = await this.sender.send({ endpoint: request.endpoint, body: request.body });
    const outcome = classify(reply, this.now());
    await this.gate.answered(request.endpoint, reply, outcome, sentAt);
    const statusClass = 'networkError' in reply ? 'network' : `${Math.floor(reply.status / 100)}xx`;
    this.counters.requests[statusClass] = (this.counters.requests[statusClass] ?? 0) + 1;
    this.observer.request?.(request.endpoint, statusClass, (performance.now() - started) / 1000);
    this.health.progressed();
    if (outcome.kind === 'split') return this.split(request, round, outcome, depth);
    this.settle(request, round, outcome, 'networkError' in reply ? null : reply.status);
    return outcome.kind === 'delivered' || outcome.kind === 'reject';
  }

  /**
   * How a request goes: `open`, its endpoint is not paused; `probe`, it is the round's probe
   * of its paused endpoint (one per endpoint and round, and one instance per probe period);
   * `held`, it is held back (deferred) with the rest of its paused endpoint's work.
   */
  private async wayOf(request: PackedRequest, round: RoundSettlement): Promise<'open' | 'probe' | 'held'> {
    const endpoint = request.endpoint;
    if (!this.gate.isPaused(endpoint)) return 'open';
    if (!round.probed.has(endpoint)) {
      round.probed.add(endpoint);
      if (await this.gate.claimProbe(endpoint)) return 'probe';
    }
    this.holdBack(request, round);
    return 'held';
  }

  /**
   * A request to a paused endpoint, held back: its objects are deferred a probe period, with
   * no attempt counted. Deferred rather than left unsettled, so that the next rounds lease
   * other users' work instead of the same held objects again; their users' later objects
   * stay behind them, in order.
   */
  private holdBack(request: PackedRequest, round: RoundSettlement): false {
    const notBefore = this.now() + this.options.pauseProbeMs;
    for (const p of request.placed) round.defer.push({ id: p.item.id, notBefore });
    return false;
  }

  /**
   * A request refused whole: its halves go out one after the other, the left (each user's
   * earlier objects) first; the right waits for the left to be settled for good, else it
   * goes back to the queue, where it stays behind the left's retries. What Braze refuses
   * alone is dead-lettered with Braze's reason.
   */
  private async split(request: PackedRequest, round: RoundSettlement, outcome: Extract<Outcome, { kind: 'split' }>, depth: number): Promise<boolean> {
    const named = new Map(outcome.failed.map((f) => [`${f.array}/${f.index}`, f.reason]));
    if (request.placed.length === 1 || request.placed.every((p) => named.has(`${p.array}/${p.index}`))) {
      this.deadLetter(request, round, request.placed.map((p) => ({ array: p.array, index: p.index, reason: named.get(`${p.array}/${p.index}`) ?? outcome.reason })), outcome.status);
      return true;
    }
    if (depth === 0) {
      const hint = TOO_LARGE.test(outcome.reason) ? ' (is BRAZE_TRACK_BATCH_SHAPE or BRAZE_TRACK_BATCH_SIZE over what the account allows?)' : '';
      this.log.warn(`Braze refused a ${request.endpoint} request of ${request.placed.length} objects (${outcome.reason})${hint}; sending it in halves to find the objects at fault`);
    }
    const [left, right] = halves(round.changes?.alone(request) ?? request);
    // The right half is left unsettled when the left must wait: it goes back to the queue, behind it.
    if (!(await this.sendOne(left, round, depth + 1))) return false;
    return this.sendOne(right, round, depth + 1);
  }

  private settle(request: PackedRequest, round: RoundSettlement, outcome: Exclude<Outcome, { kind: 'split' }>, status: number | null): void {
    const ids = request.placed.map((p) => p.item.id);
    switch (outcome.kind) {
      case 'delivered': {
        const failed = new Set(outcome.failed.map((f) => `${f.array}/${f.index}`));
        const done = request.placed.filter((p) => !failed.has(`${p.array}/${p.index}`));
        this.deadLetter(request, round, outcome.failed, status);
        if (outcome.note !== undefined) this.log.warn(`Braze ${request.endpoint}: ${request.placed.length} objects counted as delivered, ${outcome.note}`);
        round.changes?.acceptedNow(done.map((p) => p.item));
        for (const p of done) {
          round.ack.push(p.item.id);
          if (p.item.mergeKey !== null) round.merged.push(p.item.mergeKey);
        }
        this.counters.objectsDelivered += done.length;
        this.observer.delivered?.(done.length);
        return;
      }
      case 'retry': {
        const now = this.now();
        // Decided per object: a fresh object packed beside an old one keeps its own count.
        const spent = request.placed.filter((p) => p.item.attempts + 1 >= this.options.maxAttempts).map((p) => p.item);
        if (spent.length > 0) {
          for (const item of spent) round.deadLetter.push({ id: item.id, reason: `gave up after ${item.attempts + 1} attempts: ${outcome.reason}`, status });
          this.counters.objectsDeadLettered += spent.length;
          this.observer.deadLettered?.(spent.length);
        }
        const again = request.placed.filter((p) => p.item.attempts + 1 < this.options.maxAttempts).map((p) => p.item);
        if (again.length === 0) return;
        const attempts = Math.max(...again.map((item) => item.attempts)) + 1;
        const delay = Math.max(backoffMs(attempts - 1, this.random(), this.options.retryBaseMs, this.options.retryCapMs), outcome.retryAfterMs ?? 0);
        for (const item of again) round.retry.push({ id: item.id, notBefore: now + delay });
        this.counters.objectsRetried += again.length;
        this.observer.retried?.(again.length);
        this.log.warn(`Braze ${request.endpoint} will be retried in ${delay} ms (${again.length} objects): ${outcome.reason}`);
        return;
      }
      case 'pause':
        // The gate paused the endpoint: held back with the rest of its work.
        this.holdBack(request, round);
        return;
      case 'reject':
        for (const id of ids) round.deadLetter.push({ id, reason: outcome.reason, status });
        this.counters.objectsDeadLettered += ids.length;
        this.observer.deadLettered?.(ids.length);
        this.log.warn(`Braze refused ${request.endpoint} (${ids.length} objects dead-lettered): ${outcome.reason}`);
        return;
    }
  }

  /** Dead-letters the objects Braze refused one by one, and says so: how many, and Braze's reasons with their counts. */
  private deadLetter(request: PackedRequest, round: RoundSettlement, failed: readonly FailedObject[], status: number | null): void {
    const reasons = new Map(failed.map((f) => [`${f.array}/${f.index}`, f.reason]));
    const dead = request.placed.filter((p) => reasons.has(`${p.array}/${p.index}`));
    if (dead.length === 0) return;
    for (const p of dead) round.deadLetter.push({ id: p.item.id, reason: reasons.get(`${p.array}/${p.index}`)!, status });
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
}
