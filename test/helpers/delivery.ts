import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig } from '../../src/config/app-config';
import { DeliveryService } from '../../src/delivery/delivery.service';
import { createApp } from '../../src/http/create-app';
import { loadMappings, MappingRegistry } from '../../src/mapping/mapping.registry';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { BrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { ROOT } from './engine';

export interface DeliveryApp {
  app: INestApplication;
  url: string;
  dataDir: string;
  store: SqliteQueue;
  delivery: DeliveryService;
  close(): Promise<void>;
}

/** The whole service, durable queue and worker included, delivering to a sandbox (or dry-run). */
export async function startDeliveryApp(sandbox: BrazeSandbox | null, env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'sb-data-'))): Promise<DeliveryApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    MAPPINGS_DIR: join(ROOT, 'mappings'),
    DATA_DIR: dataDir,
    DELIVERY_FLUSH_MS: '20',
    DELIVERY_RETRY_BASE_MS: '20',
    DELIVERY_PAUSE_PROBE_MS: '50',
    ...(sandbox ? { BRAZE_REST_ENDPOINT: sandbox.url, BRAZE_API_KEY: 'sandbox-key' } : {}),
    ...env,
  });
  const mappings = new MappingRegistry(await loadMappings(config.mappingsDir, () => new Date()));
  const app = await createApp({ config, mappings });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  return { app, url: `http://127.0.0.1:${port}`, dataDir, store: app.get(SqliteQueue), delivery: app.get(DeliveryService), close: () => app.close() };
}

/** Polls until `done` holds (the worker is asynchronous; `done` may be too); fails with `what` after the deadline. */
export async function eventually(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const T = '2024-03-01T12:00:00.000Z';
export const event = (userId: string, seq: number, extra: Record<string, unknown> = {}) => ({ type: 'track', userId, event: 'Step', timestamp: T, messageId: `${userId}-${seq}`, properties: { seq }, ...extra });

/** One sample of a running app's `/metrics`, by its exact name and labels, e.g. `segment_braze_delivery_paused`. */
export async function scrape(url: string, sample: string): Promise<number> {
  const text = (await request(url).get('/metrics').expect(200)).text;
  const line = new RegExp(`^${sample.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  if (!line) throw new Error(`no sample ${sample} in /metrics`);
  return Number(line[1]);
}
