import { INestApplication } from '@nestjs/common';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { createApp } from '../../src/http/create-app';
import { MemoryRejectionLog, REJECTION_LOG } from '../../src/ingest/rejection-log';
import { loadMappings, MappingRegistry } from '../../src/mapping/mapping.registry';
import { MemoryQueue } from '../../src/queue/memory-queue.adapter';
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
  const app = await createApp({ config, mappings, clock: { now }, backend: 'memory' });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  return { app, url: `http://127.0.0.1:${address.port}`, queue: app.get(MemoryQueue), rejections: app.get<MemoryRejectionLog>(REJECTION_LOG), close: () => app.close() };
}

export const basic = (key: string) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
