import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { IngestError } from '../ingest/ingest-error';
import { MAX_REQUEST_BYTES } from '../ingest/limits';
import { BodyTooLargeError, readBody } from './read-body';
import { utf8Problem } from './utf8-body';

export interface JsonRequest extends Request {
  rawBody: Buffer;
  json: unknown;
}

const JSON_TYPES = /^(application\/json|text\/plain)\s*(;|$)/i;

/**
 * Reads the body once, as bytes (the webhook signature is over the raw bytes), then parses
 * JSON sent as application/json or text/plain (browsers send text/plain to skip the CORS
 * preflight). Over 500 KB is a 400, as Segment answers, never Nest's 100 KB default.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  async use(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    // Nest runs route middleware once per matching route (`@All('webhook')` matches twice): the body is read once.
    if ((req as Partial<JsonRequest>).rawBody !== undefined) return next();
    const contentType = req.headers['content-type'] ?? '';
    if (!JSON_TYPES.test(contentType)) {
      return next(new IngestError(415, 'UNSUPPORTED_CONTENT_TYPE', `bodies are JSON sent as application/json or text/plain (got "${contentType.slice(0, 60) || 'none'}")`));
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return next(new IngestError(400, 'BODY_TOO_LARGE', `the request is over ${MAX_REQUEST_BYTES / 1024} KB`));
      return next(new IngestError(400, 'INVALID_BODY', `the body could not be read: ${(error as Error).message}`));
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
}
