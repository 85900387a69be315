import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrazeSandbox } from '../src/sandbox/braze-sandbox';
import { corpus } from './corpus';
import { startFlags } from './start-command';

/**
 * Delivery to the Braze sandbox: ingest N corpus messages while the sandbox refuses the key
 * (delivery paused, the backlog builds on disk), wait until the inbox is made into work, then
 * fix the key and time the drain.
 * node dist-bench/bench/delivery-load.js [MESSAGES]
 */
export async function measureDelivery(total: number) {
  const root = join(__dirname, '..', '..');
  const sandbox = await startBrazeSandbox({ apiKey: 'right-key', rateLimit: { limit: 1_000_000, windowMs: 3000 } });
  sandbox.apiKey = 'not-yet';
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const service: ChildProcess = spawn(process.execPath, [...startFlags(root), join(root, 'dist', 'main.js')], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir, BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'right-key', DELIVERY_PAUSE_PROBE_MS: '50' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  service.stdout!.on('data', (d) => (output = (output + d).slice(-4096)));
  while (!/listening on (http:\/\/[\d.:]+)/.test(output)) await new Promise((r) => setTimeout(r, 50));
  const url = /listening on (http:\/\/[\d.:]+)/.exec(output)![1];
  const messages = [...corpus(total, { seed: 7, varied: false })];
  for (let i = 0; i < messages.length; i += 100) {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch: messages.slice(i, i + 100) }) });
    if (res.status !== 200) throw new Error(`ingest failed: ${res.status}`);
  }
  // Delivery alone: the accepted requests are made into work first.
  const inbox = async () => ((await (await fetch(`${url}/health/ready`)).json()) as { details: { queue: { inboxMessages: number } } }).details.queue.inboxMessages;
  while ((await inbox()) > 0) await new Promise((r) => setTimeout(r, 200));
  const brazeRequestsBefore = sandbox.requests.length;
  const started = Date.now();
  sandbox.apiKey = 'right-key';
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() - stableSince < 1000) {
    await new Promise((r) => setTimeout(r, 20));
    if (sandbox.received.length !== last) {
      last = sandbox.received.length;
      stableSince = Date.now();
    }
  }
  const seconds = (stableSince - started) / 1000;
  const objects = sandbox.received.length;
  const accepted = sandbox.requests.slice(brazeRequestsBefore).filter((r) => r.status === 201);
  const count = (array: string) => sandbox.received.filter((r) => r.array === array).length;
  // The fewest requests Braze's limits allow for what was delivered: 75 per /users/track
  // request across its three arrays, 50 per /users/identify or /users/alias/new.
  const fewest =
    Math.ceil((count('attributes') + count('events') + count('purchases')) / 75) +
    Math.ceil(count('aliases_to_identify') / 50) +
    Math.ceil(count('user_aliases') / 50);
  service.kill('SIGTERM');
  await new Promise((r) => (service.exitCode !== null ? r(null) : service.once('exit', r)));
  rmSync(dataDir, { recursive: true, force: true });
  await sandbox.close();
  return {
    messages: total,
    objectsDelivered: objects,
    seconds,
    objectsPerSecond: Math.round(objects / seconds),
    brazeRequests: accepted.length,
    brazeRequestsPer1000Messages: Number(((accepted.length / total) * 1000).toFixed(1)),
    meanObjectsPerRequest: Number((accepted.reduce((n, r) => n + r.objects, 0) / accepted.length).toFixed(1)),
    fewestPossibleRequests: fewest,
    packingEfficiency: Number((fewest / accepted.length).toFixed(3)),
  };
}

if (require.main === module) {
  measureDelivery(Number(process.argv[2] ?? 20000)).then((r) => console.log(JSON.stringify(r, null, 2)));
}
