import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { dropKeys, freshPrefix, REDIS_URL } from '../helpers/redis';
import { boot, freshDir, kill9, RunningService, stop } from '../helpers/service-process';

jest.setTimeout(120_000);

const USERS = 30;
const ROUNDS = 24;
const KILL_AFTER_ROUND = 10;

type Sent = { mid: string; user: string; seq: number };

/** Posts one batch; answers whether the service acknowledged it. */
async function post(url: string, messages: Sent[]): Promise<boolean> {
  const batch = messages.map((m) => ({ type: 'track', userId: m.user, event: 'Step', messageId: m.mid, properties: { mid: m.mid, seq: m.seq } }));
  try {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    return res.status === 200;
  } catch {
    return false;
  }
}

describe('two instances on one Redis', () => {
  let sandbox: BrazeSandbox;
  const services: RunningService[] = [];
  const prefix = freshPrefix();
  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) await stop(s.child);
    await sandbox?.close();
    await dropKeys(prefix);
  });

  it('one killed with kill -9 mid-flight and never restarted: every acknowledged message is delivered, no user reordered', async () => {
    sandbox = await startBrazeSandbox();
    // Slow enough that requests are in flight at the kill.
    sandbox.inject({ kind: 'slow', delayMs: 250, count: -1 });
    const env = (name: string) => ({
      LOG_LEVEL: 'info',
      QUEUE: 'redis',
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: freshDir(`sb-${name}-`),
      BRAZE_REST_ENDPOINT: sandbox.url,
      BRAZE_API_KEY: 'sandbox-key',
      DELIVERY_FLUSH_MS: '20',
      DELIVERY_RETRY_BASE_MS: '50',
      // The bound on taking over a dead instance's leases and unexpanded requests.
      DELIVERY_LEASE_TTL_MS: '2000',
    });
    const [a, b] = await Promise.all([boot(env('a')), boot(env('b'))]);
    services.push(a, b);

    // Each round sends every user's next step, half the users through each instance (alternating),
    // and waits for the answers: a user's steps are accepted in the order of their seq.
    const acked: Sent[] = [];
    let alive = [a, b];
    for (let round = 0; round < ROUNDS; round++) {
      const parts: Sent[][] = alive.map(() => []);
      for (let u = 0; u < USERS; u++) parts[(u + round) % alive.length].push({ mid: `u${u}-r${round}`, user: `user-${u}`, seq: round });
      const answers = await Promise.all(parts.map((messages, i) => post(alive[i].url, messages)));
      let retry: Sent[] = [];
      answers.forEach((ok, i) => (ok ? acked.push(...parts[i]) : (retry = retry.concat(parts[i]))));
      if (round === KILL_AFTER_ROUND) {
        await eventually(() => sandbox.inFlight > 0, 'a request in flight at Braze');
        await kill9(a.child);
        alive = [b];
      }
      // What the dead instance did not acknowledge, the client sends again to the live one, as an SDK retries.
      if (retry.length > 0) {
        expect(await post(b.url, retry)).toBe(true);
        acked.push(...retry);
      }
    }

    const delivered = () => new Set(sandbox.received.map((r) => (r.object.properties as { mid: string }).mid));
    await eventually(() => acked.every((m) => delivered().has(m.mid)), 'every acknowledged message in Braze', 90_000);
    await eventually(() => sandbox.inFlight === 0, 'Braze to finish the requests in flight');

    // Per user, in Braze's arrival order: each step arrives for the first time after every earlier
    // step (a re-sent run of steps may repeat older ones, at-least-once), and the last to arrive
    // is the user's latest, so Braze ends on the newest state.
    const firstSeen = new Map<string, number>();
    const last = new Map<string, number>();
    const reordered: string[] = [];
    const counts = new Map<string, number>();
    for (const r of sandbox.received) {
      const { mid, seq } = r.object.properties as { mid: string; seq: number };
      const user = r.object.external_id as string;
      if (!counts.has(mid)) {
        if (seq < (firstSeen.get(user) ?? -1)) reordered.push(`${mid} first arrived after seq ${firstSeen.get(user)}`);
        firstSeen.set(user, Math.max(seq, firstSeen.get(user) ?? -1));
      }
      last.set(user, seq);
      counts.set(mid, (counts.get(mid) ?? 0) + 1);
    }
    const notLatestLast = [...last].filter(([, seq]) => seq !== ROUNDS - 1).map(([user, seq]) => `${user} ended on ${seq}`);
    const twice = [...counts.values()].filter((c) => c > 1).length;
    process.stdout.write(`two instances: ${acked.length} acknowledged (${USERS} users × ${ROUNDS} rounds), ${counts.size} delivered, ${twice} delivered more than once; instance b delivered alone after the kill\n`);
    expect(acked.length).toBe(USERS * ROUNDS);
    if (reordered.length > 0) process.stdout.write(`reordered: ${reordered.slice(0, 8).join("; ")}\n`);
    expect(reordered).toEqual([]);
    expect(notLatestLast).toEqual([]);
    expect(counts.size).toBe(USERS * ROUNDS);
  });
});
