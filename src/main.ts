import 'reflect-metadata';
import { getHeapStatistics } from 'node:v8';
import { Logger } from '@nestjs/common';
import { BACKEND_NOTES } from './app.module';
import { BootError, listenError } from './boot-error';
import { systemClock } from './clock';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { unknownSettingWarnings } from './config/unknown-settings';
import { connectionCap, openFileLimit } from './http/connection-cap';
import { createApp } from './http/create-app';
import { MappingLoadError } from './mapping/mapping-load.error';
import { loadMappings, MappingRegistry } from './mapping/mapping.registry';
import { InboxDamagedError } from './queue/inbox-log';
import { StoreLockedError } from './queue/sqlite-queue.adapter';

async function bootstrap(): Promise<void> {
  // A misspelt setting is often why the configuration is wrong (BRAZE_APIKEY leaves BRAZE_REST_ENDPOINT alone): say both.
  const unknownSettings = unknownSettingWarnings(process.env);
  const config = withHints(() => loadConfig(process.env), unknownSettings);
  const mappings = new MappingRegistry(await loadMappings(config.mappingsDir, () => systemClock.now()));
  const app = await createApp({ config, mappings, clock: systemClock });
  const logger = new Logger('Boot');
  for (const warning of [...unknownSettings, ...config.notes, ...app.get<readonly string[]>(BACKEND_NOTES)]) logger.warn(warning);
  const { files, directory, hash } = mappings.current;
  logger.log(`mappings: ${files.reduce((n, f) => n + f.rules, 0)} rule(s) from ${files.length} file(s) in ${directory} (sha256 ${hash.slice(0, 12)})`);
  logger.log(heapLimitNote());
  logger.log(frontDoorNote(config.http));
  if (config.writeKeys.length === 0) {
    logger.warn('SEGMENT_WRITE_KEYS is not set: EVERY write key is accepted. Set it before exposing this service beyond this machine.');
  }
  if (config.webhookSharedSecret === undefined) logger.warn('WEBHOOK_SHARED_SECRET is not set: /v1/webhook takes a write key instead of a signature.');
  await app.listen(config.port, config.host).catch((error: unknown) => {
    throw listenError(error, config.host, config.port);
  });
  const { port } = app.getHttpServer().address() as { port: number };
  logger.log(`listening on http://${config.host}:${port}`);
}

/** The front door's limits as they are in force, the connection cap with how it was chosen (connection-cap.ts). */
function frontDoorNote(http: AppConfig['http']): string {
  const cap = connectionCap(http.maxConnections, openFileLimit());
  const connections = cap.maxConnections === 0 ? 'no connection cap' : `at most ${cap.maxConnections} connections (${cap.reason})`;
  return `HTTP: ${connections}; headers within ${http.headersTimeoutMs} ms, the body within ${http.bodyTimeoutMs} ms, keep-alive ${http.keepAliveTimeoutMs} ms`;
}

function withHints<T>(load: () => T, hints: readonly string[]): T {
  try {
    return load();
  } catch (error) {
    throw error instanceof ConfigError && hints.length > 0 ? new ConfigError([...error.problems, ...hints]) : error;
  }
}

/**
 * V8 sizes a full collection's trigger by the heap limit: with the default limit of a large
 * machine it lets old-generation garbage reach ~4× the live set (~25 MB here) before
 * collecting, with 1 GB ~1.6× (README, Performance: memory). Said at boot, so that a service
 * started without `npm start`'s flag shows it.
 */
function heapLimitNote(): string {
  const limitMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  // V8 takes its flags with dashes or underscores; --max-heap-size sets the limit too.
  const flagged = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => /--max-(old-space|heap)-size/.test(arg.replace(/_/g, '-')));
  return flagged ? `V8 heap limit ${limitMb} MB` : `V8 heap limit ${limitMb} MB: started without --max-old-space-size (npm start gives 1024), so the heap may grow to several times what is live before V8 collects`;
}

bootstrap().catch((error: unknown) => {
  // Configuration, mapping and environment problems are the user's to fix: print them plainly, no stack.
  const plain = error instanceof ConfigError || error instanceof BootError || error instanceof MappingLoadError || error instanceof StoreLockedError || error instanceof InboxDamagedError;
  process.stderr.write(`segment-braze: ${plain ? (error as Error).message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
