import { INestApplication } from '@nestjs/common';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { createApp } from '../../src/http/create-app';
import { MemoryRejectionLog } from '../../src/ingest/rejection-log';
import { loadMappings, MappingRegistry } from '../../src/mapping/mapping.registry';
import { MemoryQueue } from '../../src/queue/memory-queue.adapter';
import { expansionOf } from '../../src/ingest/inbox-expander';
import { ROOT } from './engine';

export interface TestApp {
  app: INestApplication;
  url: string;
  queue: MemoryQueue;
  rejections: MemoryRejectionLog;
  close(): Promise<void>;
}

/** The real application on a loopback port, with an in-memory queue the test can read. */
export async function startApp(env: Record<string, string> = {}, now: () => Date = () => new Date()): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', MAPPINGS_DIR: join(ROOT, 'mappings'), ...env });
  const mappings = new MappingRegistry(await loadMappings(config.mappingsDir, now));
  const queue = new MemoryQueue(now, (entry) => expansionOf(entry, mappings.current.plan));
  const rejections = new MemoryRejectionLog();
  const app = await createApp({ config, mappings, queue, rejections, clock: { now } });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  return { app, url: `http://127.0.0.1:${address.port}`, queue, rejections, close: () => app.close() };
}

export const basic = (key: string) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
