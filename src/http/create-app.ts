import type { IncomingMessage, ServerResponse } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppDependencies, AppModule } from '../app.module';
import { systemClock } from '../clock';
import { composeBackend } from '../composition';
import { Metrics } from '../observability/metrics';
import { connectionCap, openFileLimit } from './connection-cap';
import { FrontDoorAdapter } from './front-door';
import { HttpErrorFilter } from './http-error.filter';
import { servicePlayground } from '../playground/service-playground';
import { CHANGES_PREVIEW } from '../ingest/preview.service';

/**
 * Request headers a browser may send across origins. The Segment browser SDK sends
 * `Authorization` (Basic, the write key) on every call and `X-Retry-Count` on every retry:
 * a preflight that leaves one out makes the browser block the request.
 */
export const CORS_REQUEST_HEADERS = ['Content-Type', 'Content-Encoding', 'Authorization', 'X-Retry-Count', 'X-Signature', 'X-Request-Id'] as const;

/** The configured application, not yet listening: shared by main.ts and the tests. */
export async function createApp(deps: AppDependencies): Promise<INestApplication> {
  const clock = deps.clock ?? systemClock;
  const backend = await composeBackend(deps.backend ?? deps.config.queue.kind, deps.config, clock, deps.mappings);
  let app: NestExpressApplication;
  const frontDoor = new FrontDoorAdapter();
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps, backend), frontDoor, { bodyParser: false, bufferLogs: true });
  } catch (error) {
    await backend.close();
    throw error;
  }
  const metrics = app.get(Metrics);
  frontDoor.guard({ ...deps.config.http, maxConnections: connectionCap(deps.config.http.maxConnections, openFileLimit()).maxConnections }, (reason) => metrics.refused.inc({ reason }));
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Answers are a few bytes of JSON that no client revalidates: no ETag hash per response.
  app.set('etag', false);
  app.enableCors({
    origin: deps.config.corsOrigins === '*' ? '*' : [...deps.config.corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS'],
    allowedHeaders: [...CORS_REQUEST_HEADERS],
    maxAge: 86400,
  });
  app.useGlobalFilters(new HttpErrorFilter());
  // Mounted before Nest's routes are (at init); with PLAYGROUND unset /playground is Nest's plain 404.
  if (deps.config.playground) {
    const serve = servicePlayground(deps.config, deps.mappings, app.get(CHANGES_PREVIEW, { strict: false }) ?? undefined);
    app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => (serve(req, res) ? undefined : next()));
  }
  const openApi = new DocumentBuilder()
    .setTitle('segment-braze')
    .setDescription('Segment → Braze bridge: Segment HTTP tracking API, webhook destination, mapping preview and operations.')
    .setVersion('1')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'Segment write key as the user name, empty password' }, 'writeKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs-json' });
  // Not SIGHUP: that one reloads the mappings.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
