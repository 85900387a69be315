import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrazeSandbox, startBrazeSandbox } from '../src/sandbox/braze-sandbox';
import { prng } from './corpus';
import { startFlags } from './start-command';

/**
 * Sending only what changed: users who identify again and again with one or two traits
 * changed between calls (what SDKs do on every page load and app start), plus a track call
 * after each identify. The corpus is delivered with ATTRIBUTE_MEMORY=false and =true; each
 * run counts the attribute data points Braze received (Braze's rule: each attribute key,
 * each key of a nested object; identifiers are free), the requests, the drain rate, and
 * checks that every value the corpus set reached the sandbox (no change lost).
 * node dist-bench/bench/attribute-memory.js [USERS]
 */
const IDENTIFIES_PER_USER = 10;
const FREE_KEYS = new Set(['external_id', 'user_alias', 'braze_id', '_update_existing_only', 'push_token_import']);
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const CITIES = ['Paris', 'Berlin', 'Austin', 'Lagos', 'Osaka', 'Lima'];

type Traits = Record<string, unknown>;

/** Each user's identifies in order, with a track call after each; users interleaved, each user's order kept. */
export function changingTraitsCorpus(users: number, seed = 11): { messages: Record<string, unknown>[]; traitsSet: Map<string, Traits[]> } {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const traitsSet = new Map<string, Traits[]>();
  const perUser: Record<string, unknown>[][] = [];
  const base = Date.UTC(2026, 10, 1);
  for (let u = 0; u < users; u++) {
    const userId = `user-${u}`;
    let traits: Traits = {
      email: `u${u}@example.com`, firstName: 'Ada', lastName: `Lovelace${u}`, plan: PLANS[int(4)], logins: 1,
      address: { city: CITIES[int(6)], country: 'FR' }, phone: `+3360000${String(u).padStart(4, '0')}`,
      company: { name: `Co ${u % 97}`, employees: 10 + (u % 50) }, locale: 'fr-FR', newsletter: true,
      score: int(100), theme: 'dark', onboarding_step: 1, referrer: 'search',
    };
    const sets: Traits[] = [];
    const messages: Record<string, unknown>[] = [];
    for (let i = 0; i < IDENTIFIES_PER_USER; i++) {
      if (i > 0) {
        traits = { ...traits, logins: (traits.logins as number) + 1 }; // one trait always changes
        if (random() < 0.5) traits = { ...traits, ...[{ plan: PLANS[int(4)] }, { score: int(100) }, { address: { city: CITIES[int(6)], country: 'FR' } }, { onboarding_step: i }][int(4)] };
      }
      sets.push(traits);
      const at = base + (u * IDENTIFIES_PER_USER + i) * 1000;
      const context = { library: { name: 'analytics-node', version: '3.1.0' } };
      messages.push({ type: 'identify', userId, messageId: `id-${u}-${i}`, timestamp: new Date(at).toISOString(), traits, context });
      messages.push({ type: 'track', userId, messageId: `tr-${u}-${i}`, timestamp: new Date(at + 500).toISOString(), event: 'Page Viewed', properties: { path: `/p/${i}` }, context });
    }
    traitsSet.set(userId, sets);
    perUser.push(messages);
  }
  // Interleave: take the next message of a random user that still has some.
  const messages: Record<string, unknown>[] = [];
  const live = perUser.map((_, i) => i);
  const next = perUser.map(() => 0);
  while (live.length > 0) {
    const k = int(live.length);
    const u = live[k];
    messages.push(perUser[u][next[u]++]);
    if (next[u] === perUser[u].length) live.splice(k, 1);
  }
  return { messages, traitsSet };
}

/** Braze's count for one attributes object: each key, each key of a nested object (one level, as Braze bills), identifiers free. */
function attributeDataPoints(object: Record<string, unknown>): number {
  let n = 0;
  for (const [key, value] of Object.entries(object)) {
    if (FREE_KEYS.has(key)) continue;
    n += value !== null && typeof value === 'object' && !Array.isArray(value) ? Math.max(1, Object.keys(value).length) : 1;
  }
  return n;
}

/** Every value the corpus set for each attribute reached Braze for that user: the changes lost (0 when none was). */
function changesLost(sandbox: BrazeSandbox, traitsSet: Map<string, Traits[]>): number {
  const received = new Map<string, Set<string>>();
  for (const r of sandbox.received) {
    if (r.array !== 'attributes') continue;
    for (const [key, value] of Object.entries(r.object)) {
      const slot = `${r.object.external_id} ${key}`;
      (received.get(slot) ?? received.set(slot, new Set()).get(slot)!).add(JSON.stringify(value));
    }
  }
  // The default mapping's names for the traits this corpus changes.
  const braze: Record<string, (t: Traits) => unknown> = {
    logins: (t) => t.logins, plan: (t) => t.plan, score: (t) => t.score, onboarding_step: (t) => t.onboarding_step,
    home_city: (t) => (t.address as { city: string }).city, email: (t) => t.email,
  };
  let lost = 0;
  for (const [userId, sets] of traitsSet) {
    for (const [attribute, value] of Object.entries(braze)) {
      for (const traits of sets) if (!received.get(`${userId} ${attribute}`)?.has(JSON.stringify(value(traits)))) lost++;
    }
  }
  return lost;
}

async function run(memory: boolean, corpus: ReturnType<typeof changingTraitsCorpus>) {
  const root = join(__dirname, '..', '..');
  const sandbox = await startBrazeSandbox({ apiKey: 'right-key', rateLimit: { limit: 1_000_000, windowMs: 3000 } });
  sandbox.apiKey = 'not-yet';
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-memory-'));
  const service: ChildProcess = spawn(process.execPath, [...startFlags(root), join(root, 'dist', 'main.js')], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir, BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'right-key', DELIVERY_PAUSE_PROBE_MS: '50', ATTRIBUTE_MEMORY: String(memory) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  service.stdout!.on('data', (d) => (output = (output + d).slice(-4096)));
  while (!/listening on (http:\/\/[\d.:]+)/.test(output)) await new Promise((r) => setTimeout(r, 50));
  const url = /listening on (http:\/\/[\d.:]+)/.exec(output)![1];
  for (let i = 0; i < corpus.messages.length; i += 100) {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch: corpus.messages.slice(i, i + 100) }) });
    if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  }
  const queue = async () => ((await (await fetch(`${url}/health/ready`)).json()) as { details: { queue: { inboxMessages: number; pending: number; leased: number } } }).details.queue;
  while ((await queue()).inboxMessages > 0) await new Promise((r) => setTimeout(r, 200));
  const before = sandbox.requests.length;
  const started = Date.now();
  sandbox.apiKey = 'right-key';
  for (;;) {
    const q = await queue();
    if (q.pending === 0 && q.leased === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (Date.now() - started) / 1000;
  service.kill('SIGTERM');
  await new Promise((r) => (service.exitCode !== null ? r(null) : service.once('exit', r)));
  rmSync(dataDir, { recursive: true, force: true });
  const accepted = sandbox.requests.slice(before).filter((r) => r.status === 201);
  const attributeObjects = sandbox.received.filter((r) => r.array === 'attributes');
  const result = {
    memory,
    messages: corpus.messages.length,
    seconds,
    messagesPerSecond: Math.round(corpus.messages.length / seconds),
    attributeObjects: attributeObjects.length,
    attributeDataPoints: attributeObjects.reduce((n, r) => n + attributeDataPoints(r.object), 0),
    events: sandbox.received.filter((r) => r.array === 'events').length,
    brazeRequests: accepted.length,
    brazeRequestsPer1000Messages: Number(((accepted.length / corpus.messages.length) * 1000).toFixed(1)),
    changesLost: changesLost(sandbox, corpus.traitsSet),
  };
  await sandbox.close();
  return result;
}

/** Off and on alternately, `rounds` times each (the first drain of a process warms it up): the medians. */
export async function measureAttributeMemory(users: number, rounds = 2) {
  const corpus = changingTraitsCorpus(users);
  const offs: Awaited<ReturnType<typeof run>>[] = [];
  const ons: typeof offs = [];
  for (let i = 0; i < rounds; i++) {
    offs.push(await run(false, corpus));
    ons.push(await run(true, corpus));
  }
  const median = (runs: typeof offs) => [...runs].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond)[Math.floor((runs.length - 1) / 2)];
  const off = median(offs);
  const on = median(ons);
  return {
    users,
    identifiesPerUser: IDENTIFIES_PER_USER,
    off,
    on,
    ratesOff: offs.map((r) => r.messagesPerSecond),
    ratesOn: ons.map((r) => r.messagesPerSecond),
    changesLost: Math.max(...ons.map((r) => r.changesLost)),
    attributeDataPointsSaved: Number((1 - on.attributeDataPoints / off.attributeDataPoints).toFixed(3)),
    deliveryRatio: Number((on.messagesPerSecond / off.messagesPerSecond).toFixed(2)),
  };
}

if (require.main === module) {
  measureAttributeMemory(Number(process.argv[2] ?? 1000)).then((r) => console.log(JSON.stringify(r, null, 2)));
}
