import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { HttpLimits } from '../config/app-config';
import type { RefusalReason } from '../observability/metrics';

export interface FrontDoorLimits extends Omit<HttpLimits, 'maxConnections'> {
  /** 0: no cap (connection-cap.ts chose it). */
  readonly maxConnections: number;
}

/** How often Node looks for requests past their header or request timeout: a tenth of the header timeout, within 10 ms to 1 s. */
export const checkingIntervalMs = (headersTimeoutMs: number) => Math.min(1000, Math.max(10, Math.round(headersTimeoutMs / 10)));

/**
 * Node's own request timeout, behind the body reader's deadline: it covers what the reader
 * does not (a body nobody reads, on a route that answers without it), and it counts from the
 * request's first byte, so it leaves the header time and a second for the reader to answer first.
 */
export const requestTimeoutMs = (limits: Pick<HttpLimits, 'headersTimeoutMs' | 'bodyTimeoutMs'>) => limits.headersTimeoutMs + limits.bodyTimeoutMs + 1000;

interface Refusal {
  readonly reason: RefusalReason;
  readonly status: string;
  readonly code: string;
  readonly message: string;
}

/** What Node's parser and timeouts report on a connection, answered as every other error is: JSON with a code. */
function refusalFor(error: NodeJS.ErrnoException, readingBody: boolean, limits: FrontDoorLimits): Refusal | null {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return readingBody
      ? { reason: 'body_timeout', status: '408 Request Timeout', code: 'BODY_TIMEOUT', message: `the whole body must arrive within ${limits.bodyTimeoutMs} ms (HTTP_BODY_TIMEOUT_MS)` }
      : { reason: 'headers_timeout', status: '408 Request Timeout', code: 'HEADERS_TIMEOUT', message: `the whole header block must arrive within ${limits.headersTimeoutMs} ms (HTTP_HEADERS_TIMEOUT_MS)` };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return { reason: 'headers_too_large', status: '431 Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'the header block is over 16 KB' };
  // A peer that went away is nobody to answer.
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return null;
  return { reason: 'malformed', status: '400 Bad Request', code: 'MALFORMED_REQUEST', message: 'the request is not valid HTTP/1.1' };
}

function rawAnswer(refusal: Refusal): string {
  const body = JSON.stringify({ success: false, error: { code: refusal.code, message: refusal.message } });
  return `HTTP/1.1 ${refusal.status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * The HTTP server's limits on what peers may hold: the whole header block within
 * HTTP_HEADERS_TIMEOUT_MS, idle keep-alive connections HTTP_KEEP_ALIVE_TIMEOUT_MS, at most
 * HTTP_MAX_CONNECTIONS open (the rest are closed as they arrive), all of them Node's own
 * options (the body's deadline is the body reader's). And a close that ends: Node stops
 * applying its timeouts once the server closes, so a connection that never finishes its
 * headers would hold `app.close()` for ever; closing cuts every connection with no request
 * being answered and closes the others once their answer is sent.
 */
export class FrontDoorAdapter extends ExpressAdapter {
  private readonly sockets = new Set<Socket>();
  /** The request each connection is on, with its response while one is being written. */
  private readonly current = new Map<Socket, { req: IncomingMessage; res: ServerResponse }>();
  private closing = false;

  /** Called once the server exists (after NestFactory.create), before it listens. */
  guard(limits: FrontDoorLimits, refused: (reason: RefusalReason) => void): void {
    const server: Server = this.getHttpServer();
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = requestTimeoutMs(limits);
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // Read when the server starts listening (Node's interval is unref'd and cleared on close).
    // (An option of http.createServer, which Nest calls without options; not in @types/node as a property.)
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingIntervalMs(limits.headersTimeoutMs);
    if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
    server.on('drop', () => refused('too_many_connections'));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.current.delete(socket);
      });
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.current.set(socket, { req, res });
      if (this.closing) res.shouldKeepAlive = false;
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      const on = this.current.get(socket);
      const refusal = refusalFor(error, on !== undefined && !on.req.complete, limits);
      if (refusal) refused(refusal.reason);
      const answering = on !== undefined && !on.res.writableFinished;
      if (refusal && socket.writable && !(answering && on.res.headersSent)) {
        socket.end(rawAnswer(refusal));
        socket.once('finish', () => socket.destroy());
      } else {
        socket.destroy();
      }
    });
  }

  override close(): Promise<unknown> | undefined {
    this.closing = true;
    const closed = super.close();
    for (const socket of this.sockets) {
      const on = this.current.get(socket);
      if (on === undefined || on.res.writableFinished) {
        socket.destroy();
        continue;
      }
      // Being answered: the answer goes out and closes the connection instead of keeping it alive.
      if (!on.res.headersSent) on.res.shouldKeepAlive = false;
      on.res.once('finish', () => socket.destroySoon());
    }
    return closed;
  }
}
