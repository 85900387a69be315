import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';

type Request = IncomingMessage & { id?: unknown; originalUrl?: string };

/**
 * The SDK settings path carries a write key (`/v1/projects/<writeKey>/settings`). Wherever
 * `projects/` stands in a path, doubled slashes included (a settings host configured with a
 * trailing slash asks for `//v1/projects/…`), the segment after it is hidden; case-insensitive,
 * as Express's routes are.
 */
const WRITE_KEY_IN_PATH = /(\/projects\/+)[^/?\s]*/gi;

/** A path (or a message quoting one, such as Express's "Cannot GET …") with any write key in it hidden. */
export const withoutWriteKey = (text: string) => text.replace(WRITE_KEY_IN_PATH, '$1:writeKey');

/** The URL as received, without its query string or a write key: a client may put one in the query, and SDKs put one in the settings path. */
const pathOf = (req: Request) => {
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return withoutWriteKey(path);
};

/**
 * What a request's log lines say about it: an allow-list, so headers (Authorization,
 * X-Signature, cookies, X-Api-Key) and bodies (`writeKey`) are never logged and there is
 * nothing to redact. pino-http's own serializer copies every header and parses the query,
 * and it runs for every request whatever the level, because pino-http binds the request
 * to a child logger before it knows whether anything will be logged.
 */
const requestSerializers = {
  req: (req: Request) => ({ id: req.id, method: req.method, url: pathOf(req), remoteAddress: req.socket?.remoteAddress }),
  res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
};

const MAX_REQUEST_ID_LENGTH = 100;

/**
 * The caller's X-Request-Id, or this process's random prefix and a counter: unique across
 * restarts and replicas without drawing a random id for every request.
 */
function requestIds(): (req: IncomingMessage) => string {
  const prefix = randomBytes(6).toString('base64url');
  let issued = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && given !== '' ? given.slice(0, MAX_REQUEST_ID_LENGTH) : `${prefix}-${(++issued).toString(36)}`;
  };
}

const isHealthProbe = (req: Request) => (req.originalUrl ?? req.url ?? '').startsWith('/health/');

/** The pino-http options: one line per request when it completes, at info, warn (4xx) or error (5xx). */
export function httpLogging(level: string): Options {
  return {
    level,
    serializers: requestSerializers,
    // Else pino-http runs its own serializers first and hands ours their output.
    wrapSerializers: false,
    genReqId: requestIds(),
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      // Orchestrators probe every few seconds: a healthy answer is not news, a failing one is logged.
      return isHealthProbe(req) ? 'silent' : 'info';
    },
  };
}
