import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { BrazeRequest } from '../../src/engine';
import { BrazeSender } from '../../src/delivery/braze-sender';
import { DeliveryWorker } from '../../src/delivery/delivery.worker';
import { HttpBrazeSender } from '../../src/delivery/http-braze.sender';
import { trackLimits } from '../../src/delivery/pack';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { enqueue, identify, track } from '../helpers/queue';

const SILENT = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The real HTTP sender, counting how many requests of each user are in flight at once. */
class CountingSender implements BrazeSender {
  readonly dryRun = false;
  readonly mostAtOnce = new Map<string, number>();
  /** Each request as it went out: its endpoint, merge_behavior and users. */
  readonly sent: [string, unknown, string[]][] = [];
  private readonly inFlight = new Map<string, number>();
  constructor(private readonly http: HttpBrazeSender) {}

  async send(request: BrazeRequest): Promise<Awaited<ReturnType<BrazeSender['send']>>> {
    const users = new Set(Object.values(request.body).flatMap((list) => (Array.isArray(list) ? list.map((o: { external_id: string }) => o.external_id) : [])));
    this.sent.push([request.endpoint, request.body.merge_behavior, [...users]]);
    for (const user of users) {
      const now = (this.inFlight.get(user) ?? 0) + 1;
      this.inFlight.set(user, now);
      this.mostAtOnce.set(user, Math.max(now, this.mostAtOnce.get(user) ?? 0));
    }
    try {
      return await this.http.send(request);
    } finally {
      for (const user of users) this.inFlight.set(user, this.inFlight.get(user)! - 1);
    }
  }
}

describe('a round holds one request per user', () => {
  let sandbox: BrazeSandbox;
  let store: SqliteQueue;
  let http: HttpBrazeSender;
  let worker: DeliveryWorker;
  afterEach(async () => {
    await worker?.stop();
    http?.close();
    await store?.close();
    await sandbox?.close();
  });

  it("a user's identify objects with different merge_behavior, and a track after them, go out one request at a time, in order", async () => {
    sandbox = await startBrazeSandbox();
    store = new SqliteQueue(mkdtempSync(join(tmpdir(), 'sb-one-request-')), () => Date.now());
    await enqueue(store, [identify('i1', 'a', 'merge'), identify('i2', 'a', 'none'), track('t1', 'a'), track('t2', 'b')]);
    http = new HttpBrazeSender(new HttpService(axios.create()), { endpoint: sandbox.url, apiKey: 'sandbox-key', timeoutMs: 5000, maxSockets: 4 });
    const sender = new CountingSender(http);
    const options = { flushMs: 20, concurrency: 4, limits: trackLimits('combined', 75), maxAttempts: 5, pauseProbeMs: 50, retryBaseMs: 20, retryCapMs: 1000, owner: 'test', leaseTtlMs: 30_000 };
    worker = new DeliveryWorker({ queue: store, merges: store.merges }, sender, () => Date.now(), options, SILENT);
    worker.start();
    await eventually(async () => ((s) => s.pending === 0 && s.leased === 0)(await store.stats()), 'the queue to drain');
    expect(sender.mostAtOnce.get('a')).toBe(1);
    const ofA = sender.sent.filter(([, , users]) => users.includes('a'));
    expect(ofA.map(([endpoint, mergeBehavior]) => [endpoint, mergeBehavior])).toEqual([['/users/identify', 'merge'], ['/users/identify', 'none'], ['/users/track', undefined]]);
    expect(sandbox.received.map((r) => r.object.external_id).sort()).toEqual(['a', 'a', 'a', 'b']);
  });
});
