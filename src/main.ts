import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError, loadConfig } from './config/app-config';
import { MappingLoadError } from './mapping/mapping-load.error';
import { loadMappings, MappingRegistry } from './mapping/mapping.registry';

async function bootstrap(): Promise<void> {
  const config = loadConfig(process.env);
  const mappings = new MappingRegistry(await loadMappings(config.mappingsDir, () => new Date()));
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ config, mappings }), { logger: ['error', 'warn', 'log'] });
  const { files, directory, hash } = mappings.current;
  const rules = files.reduce((n, f) => n + f.rules, 0);
  new Logger('Mappings').log(`loaded ${rules} rule(s) from ${files.length} file(s) in ${directory} (sha256 ${hash.slice(0, 12)})`);
  await app.close();
}

bootstrap().catch((error: unknown) => {
  // Configuration and mapping problems are the user's to fix: print them plainly, no stack.
  const plain = error instanceof ConfigError || error instanceof MappingLoadError;
  process.stderr.write(`segment-braze: ${plain ? (error as Error).message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
