import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IngestError } from '../ingest/ingest-error';
import { withoutWriteKey } from '../observability/http-logging';

/** Every error leaves as `{success: false, error: {code, message}}`; internals never leak. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    // Refused before its body was read whole: keeping the connection would mean reading the rest (Node drains it), so the answer closes it.
    if (!host.switchToHttp().getRequest<Request>().complete) response.setHeader('Connection', 'close');
    if (exception instanceof IngestError) {
      const rejected = exception.rejected.length > 0 ? { rejected: exception.rejected } : {};
      response.status(exception.status).json({ success: false, error: { code: exception.code, message: exception.message }, ...rejected });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      // Terminus answers 503 with its own report of what is down: pass it through.
      if (body !== null && typeof body === 'object' && 'status' in body && 'details' in body) {
        response.status(status).json(body);
        return;
      }
      const code = status === 404 ? 'NOT_FOUND' : status === 405 ? 'METHOD_NOT_ALLOWED' : `HTTP_${status}`;
      // Express's 404 quotes the path, which may carry a write key (the SDK settings path).
      response.status(status).json({ success: false, error: { code, message: withoutWriteKey(exception.message) } });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    response.status(500).json({ success: false, error: { code: 'INTERNAL', message: 'internal error' } });
  }
}
