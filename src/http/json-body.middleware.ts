import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IngestError } from '../ingest/ingest-error';
import { MAX_REQUEST_BYTES } from '../ingest/limits';
import { Metrics } from '../observability/metrics';
import { BodyLimits, BodyTimeoutError, BodyTooLargeError, readBody } from './read-body';
import { utf8Problem } from './utf8-body';

export interface JsonRequest extends Request {
  rawBody: Buffer;
  json: unknown;
}

const JSON_TYPES = /^(application\/json|text\/plain)\s*(;|$)/i;

/** The methods whose requests carry a body to read. */
export const BODY_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH'];

/**
 * Reads the body once, as bytes (the webhook signature is over the raw bytes), then parses
 * JSON sent as application/json or text/plain (browsers send text/plain to skip the CORS
 * preflight). Over 500 KB is a 400, as Segment answers, never Nest's 100 KB default; a body
 * that has not arrived whole within HTTP_BODY_TIMEOUT_MS is a 408.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly limits: BodyLimits;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.limits = { maxBytes: MAX_REQUEST_BYTES, deadlineMs: config.http.bodyTimeoutMs };
  }

  async use(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if (!BODY_METHODS.includes(req.method)) return next();
    // Nest runs route middleware once per matching route (`@All('webhook')` matches twice): the body is read once.
    if ((req as Partial<JsonRequest>).rawBody !== undefined) return next();
    const contentType = req.headers['content-type'] ?? '';
    if (!JSON_TYPES.test(contentType)) {
      return next(new IngestError(415, 'UNSUPPORTED_CONTENT_TYPE', `bodies are JSON sent as application/json or text/plain (got "${contentType.slice(0, 60) || 'none'}")`));
    }
    let body: Buffer;
    try {
      body = await readBody(req, this.limits);
    } catch (error) {
      return next(this.refusal(error as Error));
    }
    const notUtf8 = utf8Problem(body);
    if (notUtf8) return next(notUtf8);
    const request = req as JsonRequest;
    request.rawBody = body;
    try {
      request.json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return next(new IngestError(400, 'INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`));
    }
    next();
  }

  private refusal(error: Error): IngestError {
    if (error instanceof BodyTooLargeError) {
      this.metrics.refused.inc({ reason: 'body_too_large' });
      return new IngestError(400, 'BODY_TOO_LARGE', `the request is over ${MAX_REQUEST_BYTES / 1024} KB`);
    }
    if (error instanceof BodyTimeoutError) {
      this.metrics.refused.inc({ reason: 'body_timeout' });
      return new IngestError(408, 'BODY_TIMEOUT', `the whole body must arrive within ${this.limits.deadlineMs} ms (HTTP_BODY_TIMEOUT_MS)`);
    }
    return new IngestError(400, 'INVALID_BODY', `the body could not be read: ${error.message}`);
  }
}
