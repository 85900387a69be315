import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { headerWriteKey } from '../ingest/auth';
import { SDK_METRICS_PATH } from '../ingest/endpoints';
import { IngestError } from '../ingest/ingest-error';
import { IngestService } from '../ingest/ingest.service';
import { Metrics } from '../observability/metrics';
import { BODY_METHODS } from './json-body.middleware';

/** The path as Express routes it: case aside, a trailing slash aside, no query. */
const routedPath = (url: string) => url.split('?')[0].replace(/\/+$/, '').toLowerCase();

/**
 * Refuses a request whose `Authorization` names a write key that is not one of
 * SEGMENT_WRITE_KEYS before its body is read (it runs before JsonBodyMiddleware): with a
 * key in the header the body is never asked for another, so reading it could only cost —
 * a gzip bomb would be inflated and parsed just to be told 401. Everything else goes on
 * unchanged to the body: no header (the key may be in the body), a header that names no
 * key (Bearer, Basic without a user name), the webhook when it is signed (the signature is
 * over the body and the header is not looked at), and `/v1/m`, which takes no key.
 */
@Injectable()
export class HeaderAuthMiddleware implements NestMiddleware {
  private readonly signedWebhook: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly ingest: IngestService,
    private readonly metrics: Metrics,
  ) {
    this.signedWebhook = config.webhookSharedSecret !== undefined;
  }

  use(req: Request, _res: Response, next: NextFunction): void {
    if (!BODY_METHODS.includes(req.method)) return next();
    const key = headerWriteKey(req.headers.authorization);
    // Compared in constant time (WriteKeyVerifier); true for any key when none is configured.
    if (key === undefined || this.ingest.acceptsWriteKey(key)) return next();
    const path = routedPath(req.originalUrl);
    if (path === `/v1/${SDK_METRICS_PATH}` || (this.signedWebhook && path === '/v1/webhook')) return next();
    this.metrics.refused.inc({ reason: 'unauthorized' });
    next(new IngestError(401, 'UNAUTHORIZED', 'the write key in Authorization (HTTP Basic user name) is not valid; the body was not read'));
  }
}
