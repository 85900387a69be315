import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { startBrazeSandbox } from '../src/sandbox/braze-sandbox';

/**
 * `npm run demo`: the Braze sandbox and the service, a short realistic session sent through
 * the real @segment/analytics-node client, and what Braze received.
 */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const sandbox = await startBrazeSandbox({ apiKey: 'demo-key' });
  const service = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DATA_DIR: mkdtempSync(join(tmpdir(), 'segment-braze-demo-')), BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'demo-key', SEGMENT_WRITE_KEYS: 'demo-write-key', DELIVERY_FLUSH_MS: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  service.stdout!.on('data', (d) => (output += d));
  const deadline = Date.now() + 15_000;
  while (!/listening on (http:\/\/\S+)"/.test(output)) {
    if (Date.now() > deadline || service.exitCode !== null) {
      service.kill('SIGKILL');
      throw new Error(`the service did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const host = /listening on (http:\/\/\S+)"/.exec(output)![1];
  console.log(`service ${host}, Braze sandbox ${sandbox.url}\n`);

  const analytics = new Analytics({ writeKey: 'demo-write-key', host, flushAt: 50, flushInterval: 200 });
  const anonymousId = 'anon-7f3a';
  analytics.page({ anonymousId, name: 'Pricing', properties: { path: '/pricing', referrer: 'https://news.example.com' } });
  analytics.track({ anonymousId, event: 'Product Viewed', properties: { product_id: 'sku-42', name: 'Noise-cancelling headphones', price: 199 } });
  analytics.identify({ userId: 'user-1001', anonymousId, traits: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', birthday: '1990-12-10', gender: 'female', address: { city: 'London', country: 'GB', postalCode: 'N1' }, plan: 'premium' } });
  analytics.track({ userId: 'user-1001', event: 'Order Completed', properties: { order_id: 'o-555', currency: 'gbp', products: [{ product_id: 'sku-42', name: 'Noise-cancelling headphones', price: '199.00', quantity: 1 }, { sku: 'sku-7', name: 'Case', price: 19.5, quantity: '2' }] } });
  analytics.group({ userId: 'user-1001', groupId: 'acme-corp', traits: { name: 'Acme Corp', plan: 'enterprise' } });
  analytics.screen({ userId: 'user-1001', name: 'Order Confirmation' });
  await analytics.closeAndFlush();

  const expected = 7; // page, product viewed, merge, attributes, 2 purchases, group, screen → 8 objects
  const settle = Date.now() + 10_000;
  while (sandbox.received.length < expected + 1 && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));

  console.log(`Braze received ${sandbox.received.length} objects in ${sandbox.requests.length} request(s):\n`);
  for (const r of sandbox.requests) console.log(`  ${r.endpoint} → ${r.status} (${r.objects} objects)`);
  console.log('');
  for (const r of sandbox.received) console.log(`${r.endpoint} ${r.array}: ${JSON.stringify(r.object)}`);
  service.kill('SIGTERM');
  await sandbox.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
