import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { compileMappingSet, mapMessage } from '../src/engine';
import { startBrazeSandbox } from '../src/sandbox/braze-sandbox';
import { corpus } from './corpus';
import { measureDelivery } from './delivery-load';
import { measureInstances } from './instances';
import { measureAttributeMemory } from './attribute-memory';
import { mapHandwritten } from './handwritten';
import { loadBatches } from './ingest-load';
import { mapWithMappingKit } from './mapping-kit';
import { measurePlayground } from './playground';
import { rssMb, timePerItem, Timing } from './measure';
import { ROOT, startProcess, startService } from './service';

const QUICK = process.env.BENCH_QUICK === '1';
const plan = compileMappingSet([{ file: 'braze.yaml', text: readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8') }]).plan!;
type Json = Record<string, unknown>;

function checkFloor(messages: Json[]): void {
  for (const m of messages) {
    if (JSON.stringify(mapMessage(plan, m)) !== JSON.stringify(mapHandwritten(m))) throw new Error(`the hand-written floor differs on ${JSON.stringify(m)}`);
  }
}

function engine(label: string, messages: Json[]) {
  checkFloor(messages);
  const lines = messages.map((m) => JSON.stringify(m));
  const compiled = timePerItem(messages, (m) => mapMessage(plan, m));
  const floor = timePerItem(messages, mapHandwritten);
  const kit = timePerItem(messages.slice(0, QUICK ? 5000 : 20000), mapWithMappingKit, 5, 1);
  const compiledJson = timePerItem(lines, (l) => JSON.stringify(mapMessage(plan, JSON.parse(l))));
  const floorJson = timePerItem(lines, (l) => JSON.stringify(mapHandwritten(JSON.parse(l))));
  return { label, messages: messages.length, compiled, floor, mappingKit: kit, compiledJson, floorJson };
}

type Load = Awaited<ReturnType<typeof loadBatches>>;
declare const gc: undefined | (() => void);
const collect = () => (typeof gc === 'function' ? gc() : undefined);

/**
 * The service and the bare ceiling, alternated over several rounds (each service round on a
 * fresh DATA_DIR), so that the machine's drift during the run falls on both alike; the ratio
 * reported is the median of the rounds' ratios. The first round also times the drain.
 */
async function ingestion(seconds: number, rounds: number) {
  const sandbox = await startBrazeSandbox({ apiKey: 'other' }); // Braze refuses the key: delivery pauses, ingestion alone is measured
  const results: { withQueue: Load; ceiling: Load; ratio: number }[] = [];
  let drain: Awaited<ReturnType<typeof drainInbox>> | null = null;
  for (let round = 0; round < rounds; round++) {
    const service = await startService({ BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'bench' });
    await loadBatches(service.url, 2, 10); // warm-up
    await drainInbox(service.url);
    // autocannon runs in this process: its heap (the engine sections' corpora) is collected
    // before each timed load, so that its pauses fall alike on the service and the ceiling.
    collect();
    const withQueue = await loadBatches(service.url, seconds, 10);
    // What the load left in the inbox is made into work once the requests stop: that rate bounds sustained throughput.
    if (round === 0) drain = await drainInbox(service.url);
    await service.stop();
    const bare = await startProcess(join(ROOT, 'dist-bench', 'bench', 'bare-server.js'), {}, '/');
    await loadBatches(bare.url, 2, 10);
    collect();
    const ceiling = await loadBatches(bare.url, seconds, 10);
    await bare.stop();
    results.push({ withQueue, ceiling, ratio: withQueue.messagesPerSecond / ceiling.messagesPerSecond });
  }
  await sandbox.close();
  const byRatio = [...results].sort((a, b) => a.ratio - b.ratio);
  const median = byRatio[Math.floor(byRatio.length / 2)];
  const ratios = results.map((r) => Number(r.ratio.toFixed(2)));
  return { withQueue: median.withQueue, ceiling: median.ceiling, ratio: Number(median.ratio.toFixed(2)), ratios, rounds: results, drain: drain! };
}

async function queueStats(url: string): Promise<{ inboxMessages: number; pending: number }> {
  const health = (await (await fetch(`${url}/health/ready`)).json()) as { details: { queue: { inboxMessages: number; pending: number } } };
  return health.details.queue;
}

/** Waits until the inbox is empty; answers how many messages it held and how fast they were made into work. */
async function drainInbox(url: string): Promise<{ messages: number; seconds: number; messagesPerSecond: number }> {
  const started = Date.now();
  const { inboxMessages } = await queueStats(url);
  while ((await queueStats(url)).inboxMessages > 0) await new Promise((r) => setTimeout(r, 1000));
  const seconds = (Date.now() - started) / 1000;
  return { messages: inboxMessages, seconds, messagesPerSecond: Math.round(inboxMessages / seconds) };
}

async function memory(total: number) {
  const sandbox = await startBrazeSandbox({ apiKey: 'other' });
  const service = await startService({ BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'bench' });
  const pid = service.child.pid!;
  const bodies = Array.from({ length: 20 }, (_, b) => JSON.stringify({ batch: [...corpus(100, { seed: 900 + b, varied: true })].map(({ messageId: _id, ...m }) => m) }));
  let next = 0;
  const samples: { accepted: number; rssMb: number }[] = [{ accepted: 0, rssMb: rssMb(pid) }];
  const step = total / 4;
  for (let done = 0; done < total; done += step) {
    const result = await autocannon({
      url: `${service.url}/v1/batch`,
      method: 'POST',
      connections: 10,
      amount: step / 100,
      headers: { 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`memory run: ${result.non2xx} non-2xx, ${result.errors} errors`);
    await new Promise((r) => setTimeout(r, 1000));
    samples.push({ accepted: done + step, rssMb: rssMb(pid) });
  }
  const queue = await queueStats(service.url);
  await service.stop();
  await sandbox.close();
  const values = samples.slice(1).map((s) => s.rssMb);
  return { samples, growthMb: Math.max(...values) - Math.min(...values), fromStartMb: samples[samples.length - 1].rssMb - samples[0].rssMb, queued: queue.pending, inbox: queue.inboxMessages };
}

const ns = (t: Timing) => `${t.medianNs} ns (${t.minNs}–${t.maxNs})`;
const rate = (t: Timing) => `${(t.perSecond / 1000).toFixed(0)}k/s`;

async function main(): Promise<void> {
  const started = new Date();
  // Each corpus lives only for its section, so the load generator below runs on a small heap.
  const corpusOf = (seed: number, varied: boolean) => [...corpus(QUICK ? 20000 : 100000, { seed, varied })].map((m) => JSON.parse(JSON.stringify(m)) as Json);
  const engines = [engine('realistic corpus', corpusOf(42, false)), engine('varied shapes', corpusOf(43, true))];
  const http = await ingestion(QUICK ? 5 : 10, QUICK ? 1 : 3);
  const delivery = await measureDelivery(QUICK ? 20000 : 100000);
  const mem = await memory(QUICK ? 100000 : 1000000);
  const several = await measureInstances(QUICK ? 5 : 10);
  const changes = await measureAttributeMemory(QUICK ? 500 : 2000, QUICK ? 1 : 3);
  const playground = await measurePlayground(QUICK ? 50 : 200);

  const lines: string[] = [];
  const row = (...cells: (string | number)[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(`segment-braze benchmark — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${QUICK ? ' (quick)' : ''}`, '');
  row('section', 'measure', 'segment-braze', 'reference', 'ratio', 'target');
  row('---', '---', '---', '---', '---', '---');
  for (const e of engines) {
    row(`1. engine, ${e.label}`, 'map only, median ns/msg (min–max)', ns(e.compiled), `hand-written ${ns(e.floor)}`, (e.floor.medianNs / e.compiled.medianNs).toFixed(2) + '× floor speed', '≥ 0.80×');
    row('', '', rate(e.compiled), `mapping-kit ${ns(e.mappingKit)}`, (e.mappingKit.medianNs / e.compiled.medianNs).toFixed(1) + '× mapping-kit speed', '≥ 10×');
    row(`2. engine + JSON, ${e.label}`, 'parse + map + stringify', ns(e.compiledJson), `hand-written ${ns(e.floorJson)}`, (e.floorJson.medianNs / e.compiledJson.medianNs).toFixed(2) + '×', '');
  }
  row('3. ingestion /v1/batch (100 msgs)', 'messages/s, p50/p99', `${http.withQueue.messagesPerSecond.toFixed(0)} msg/s, ${http.withQueue.requestsPerSecond.toFixed(0)} req/s, ${http.withQueue.p50ms}/${http.withQueue.p99ms} ms`, `bare node:http ${http.ceiling.messagesPerSecond.toFixed(0)} msg/s, ${http.ceiling.p50ms}/${http.ceiling.p99ms} ms`, `${http.ratio}× ceiling (median of ${http.ratios.join(', ')})`, '≥ 0.60×');
  row('', 'inbox made into work once the load stops', `${http.drain.messagesPerSecond} msg/s (${http.drain.messages} msgs in ${http.drain.seconds.toFixed(1)} s)`, '', '', '');
  row('4. delivery to the sandbox', 'objects/s; requests per 1,000 msgs', `${delivery.objectsPerSecond} obj/s; ${delivery.brazeRequestsPer1000Messages} req/1k`, `fewest possible ${delivery.fewestPossibleRequests} req`, `${(delivery.packingEfficiency * 100).toFixed(1)}% packed`, '≥ 90%');
  row(`5. memory, ${mem.samples[mem.samples.length - 1].accepted} msgs queued, Braze down`, 'RSS by messages accepted', mem.samples.map((s) => `${s.accepted / 1000}k: ${s.rssMb} MB`).join(', '), `${mem.queued} objects and ${mem.inbox} inbox messages on disk`, `${mem.growthMb} MB spread after the first step; ${mem.fromStartMb} MB above idle`, '≤ 100 MB');
  const [oneOnRedis, twoOnRedis] = several.redis;
  row('6. several instances, ingestion', 'messages/s, one instance on Redis', `${oneOnRedis.ingestion.messagesPerSecond.toFixed(0)} msg/s, p99 ${oneOnRedis.ingestion.p99ms} ms`, `embedded store ${several.embedded.ingestion.messagesPerSecond.toFixed(0)} msg/s`, `${several.ingestionRatio}× embedded`, '≥ 0.5×');
  row('', 'drain, two instances on Redis', `${twoOnRedis.drain.messagesPerSecond} msg/s (${twoOnRedis.drain.messages} msgs), cores ${Math.round(twoOnRedis.drain.cpuBusy * 100)}% busy`, `one instance ${oneOnRedis.drain.messagesPerSecond} msg/s, cores ${Math.round(oneOnRedis.drain.cpuBusy * 100)}% busy; embedded ${several.embedded.drain.messagesPerSecond} msg/s`, `${several.drainRatio}× one instance`, '≥ 1.5×');
  row('', 'Redis memory per queued object', `${oneOnRedis.redisBytesPerQueuedObject} B`, `${oneOnRedis.objectsQueued} objects queued`, '', '');
  row(`7. only what changed, ${changes.users} users × ${changes.identifiesPerUser} identifies + tracks`, 'attribute data points, memory on', `${changes.on.attributeDataPoints} (${changes.on.attributeObjects} objects), ${changes.changesLost} changes lost`, `memory off ${changes.off.attributeDataPoints} (${changes.off.attributeObjects} objects)`, `${(changes.attributeDataPointsSaved * 100).toFixed(1)}% fewer`, '≥ 80% fewer, 0 lost');
  row('', 'Braze requests per 1,000 msgs; drain msg/s', `${changes.on.brazeRequestsPer1000Messages} req/1k; ${changes.on.messagesPerSecond} msg/s (${changes.ratesOn.join(', ')})`, `memory off ${changes.off.brazeRequestsPer1000Messages} req/1k; ${changes.off.messagesPerSecond} msg/s (${changes.ratesOff.join(', ')})`, `${changes.deliveryRatio}× memory off`, '≥ 0.9×');
  row('8. playground, default mapping', 'one keystroke: compile + examples + map + pack, worker thread', `median ${playground.medianMs} ms, p95 ${playground.p95Ms} ms`, `compile + examples ${playground.compileMedianMs} ms`, '', '< 100 ms');
  const table = lines.join('\n');
  console.log('\n' + table + '\n');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ startedAt: started.toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, quick: QUICK, engines, http, delivery, memory: mem, instances: several, changes, playground, table }, null, 2);
  writeFileSync(join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  console.log(`written to bench/results/latest.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
