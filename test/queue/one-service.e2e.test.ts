import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually } from '../helpers/delivery';
import { exited, freshDir, RunningService, ServiceProcess, spawnService, stop, untilListening } from '../helpers/service-process';

jest.setTimeout(240_000);

const REFUSED = /^segment-braze: another segment-braze process owns .+ \(it holds .+owner\.lock\)/m;

/** Sends one batch; answers the messageIds the service acknowledged (none if it died first). */
async function sendBatch(url: string, ids: string[]): Promise<string[]> {
  const batch = ids.map((id) => ({ type: 'track', userId: `user-${id.length % 5}`, event: 'Restart Test', messageId: id, properties: { mid: id } }));
  try {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
    return res.status === 200 ? ids : [];
  } catch {
    return [];
  }
}

/** SIGKILL to `npm start`'s whole process group: npm, its shell and node die together, as in a container. */
const killGroup = (service: ServiceProcess) => process.kill(-service.child.pid!, 'SIGKILL');

describe('one service per DATA_DIR', () => {
  const started: ServiceProcess[] = [];
  let sandbox: BrazeSandbox | undefined;
  afterAll(async () => {
    for (const s of started) {
      try {
        process.kill(-s.child.pid!, 'SIGKILL'); // npm start's group, node included
      } catch {
        s.child.kill('SIGKILL');
      }
    }
    await Promise.all(started.map((s) => exited(s.child)));
    await sandbox?.close();
  });

  it('20 services started at once on one directory: exactly one serves, the others say why in one line and exit 1', async () => {
    const dataDir = freshDir('sb-one-');
    const services = Array.from({ length: 20 }, () => spawnService({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }));
    started.push(...services);
    await eventually(() => services.every((s) => s.child.exitCode !== null || /listening on/.test(s.output())), 'every service to serve or exit', 120_000);
    const serving = services.filter((s) => s.child.exitCode === null);
    const refused = services.filter((s) => s.child.exitCode !== null);
    process.stdout.write(`simultaneous starts: ${serving.length} of 20 serving, ${refused.length} refused\n`);
    expect(serving).toHaveLength(1);
    for (const s of refused) {
      expect(s.child.exitCode).toBe(1);
      expect(s.output()).toMatch(REFUSED);
      expect(s.output().trim().split('\n')).toHaveLength(1);
    }
    await stop(serving[0].child);
  });

  it('kill -9 of npm start, npm and node together, then an immediate restart, 20 times: every restart serves and every acknowledged message is delivered', async () => {
    sandbox = await startBrazeSandbox();
    const env = { DATA_DIR: freshDir('sb-restart-'), LOG_LEVEL: 'info', BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'sandbox-key', DELIVERY_FLUSH_MS: '20', DELIVERY_RETRY_BASE_MS: '50' };
    // Braze answers slowly, so that each kill finds a request in flight and acknowledged messages not yet delivered.
    sandbox.inject({ kind: 'slow', delayMs: 300, count: -1 });
    const acked: string[] = [];
    const delivered = () => new Set(sandbox!.received.map((r) => (r.object.properties as { mid: string }).mid));
    let undeliveredAtKills = 0;
    const cycleMs: number[] = [];
    let service: RunningService = await untilListening(spawnService(env, { npm: true }));
    started.push(service);
    for (let cycle = 0; cycle < 20; cycle++) {
      const begun = Date.now();
      for (let b = 0; b < 2; b++) acked.push(...(await sendBatch(service.url, Array.from({ length: 10 }, (_, i) => `c${cycle}-b${b}-${i}`))));
      // Killed while Braze holds a request, with one more batch on its way (acknowledged or not, either is fine).
      await eventually(() => sandbox!.inFlight > 0, 'a request in flight at Braze');
      const cutOff = sendBatch(service.url, Array.from({ length: 10 }, (_, i) => `c${cycle}-cut-${i}`));
      killGroup(service);
      undeliveredAtKills += acked.filter((id) => !delivered().has(id)).length;
      const next = spawnService(env, { npm: true }); // at once: the old node may not even be reaped yet
      started.push(next);
      acked.push(...(await cutOff));
      service = await untilListening(next);
      cycleMs.push(Date.now() - begun);
    }
    sandbox.clearFaults();
    await eventually(() => acked.every((id) => delivered().has(id)), 'every acknowledged message in Braze', 60_000);
    const sorted = [...cycleMs].sort((a, b) => a - b);
    process.stdout.write(`kill -9 cycles: 20 of 20 restarts served; ${acked.length} acknowledged (${undeliveredAtKills} not yet delivered, summed over the kills), ${acked.filter((id) => delivered().has(id)).length} delivered; cycle median ${sorted[10]} ms, max ${sorted[19]} ms\n`);
    expect(acked.length).toBeGreaterThanOrEqual(20 * 2 * 10);
    expect(undeliveredAtKills).toBeGreaterThan(0);
    killGroup(service);
  });
});
