import autocannon from 'autocannon';
import { corpus } from './corpus';

/**
 * Loads /v1/batch with 100-message batches from this (second) process.
 * node dist-bench/bench/ingest-load.js [URL] [SECONDS] [CONNECTIONS]
 * Messages carry no messageId, so the service assigns fresh ones and every request is new work.
 */
export async function loadBatches(url: string, seconds: number, connections: number) {
  const bodies = Array.from({ length: 20 }, (_, b) =>
    JSON.stringify({ batch: [...corpus(100, { seed: 100 + b, varied: true })].map(({ messageId: _id, ...m }) => m), sentAt: new Date().toISOString() }),
  );
  let next = 0;
  const result = await autocannon({
    url: `${url}/v1/batch`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from('bench:').toString('base64') },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / seconds,
    messagesPerSecond: (ok * 100) / seconds,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    bodyBytes: bodies[0].length,
  };
}

if (require.main === module) {
  const [url = 'http://127.0.0.1:3000', seconds = '10', connections = '10'] = process.argv.slice(2);
  loadBatches(url, Number(seconds), Number(connections)).then((r) => console.log(JSON.stringify(r, null, 2)));
}
