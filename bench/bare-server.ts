import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMappingSet, mapMessage } from '../src/engine';

/** The ceiling: node:http doing only what any ingestion must, parse and map. No queue, no checks. */
const plan = compileMappingSet([{ file: 'braze.yaml', text: readFileSync(join(__dirname, '..', '..', 'mappings', 'braze.yaml'), 'utf8') }]).plan!;
const server = createServer((req, res) => {
  if (req.method === 'GET') return void res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch: Record<string, unknown>[] };
    let mapped = 0;
    const receivedAt = new Date().toISOString();
    for (const m of body.batch) if (mapMessage(plan, { ...m, receivedAt, timestamp: m.timestamp ?? receivedAt }).ok) mapped++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(mapped === body.batch.length ? '{"success":true}' : '{"success":false}');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
