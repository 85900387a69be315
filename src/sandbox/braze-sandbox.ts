import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { isJsonObject } from '../engine/json';
import { MinorError, NO_VALID_DATA, objectsOf, SandboxLimits, validateAliasNew, validateIdentify, validateTrack, Verdict } from './braze-validation';
import { Fault, faultProblem, Faults } from './sandbox-faults';
import { drip, echoHeaders, oversize, StreamRecord } from './streamed-answers';

export type { Fault } from './sandbox-faults';

export interface ReceivedObject {
  endpoint: string;
  array: string;
  object: Record<string, unknown>;
}

export interface SandboxRequest extends StreamRecord {
  endpoint: string;
  status: number;
  objects: number;
  at: number;
  headers: Record<string, string>;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  apiKey?: string;
  /** Default: Braze's current limits, 75 /users/track objects combined. `{ trackCombined: null }`: the legacy 75 per array. */
  limits?: Partial<SandboxLimits>;
  /** What a wrong key gets: 401 "Invalid API Key" (default) or 404 "Unknown REST API Key"; Braze documents both. */
  unknownKeyStatus?: 401 | 404;
  /** What the right key gets on an endpoint whose permission it lacks (`denied`): 403, as the reference has it (default), or the 401 seen in the field. */
  missingPermissionStatus?: 401 | 403;
  /** Requests per window per endpoint family, and the window (Braze: 3,000 per 3 s for /users/track). */
  rateLimit?: { limit: number; windowMs: number };
  log?: (line: string) => void;
}

export interface BrazeSandbox {
  readonly url: string;
  /** Objects Braze accepted (minor errors excluded), in arrival order. */
  readonly received: ReceivedObject[];
  /** Every request: endpoint, status, how many objects it carried, when it arrived (epoch ms) and the response headers. */
  readonly requests: SandboxRequest[];
  /** Requests being handled right now (a slow fault holds them). */
  readonly inFlight: number;
  apiKey: string;
  /** The REST API key permissions the key lacks, by Braze's names (`users.identify`, `users.track`, `users.alias.new`): each is one endpoint's. */
  readonly denied: Set<string>;
  inject(fault: Fault): void;
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

const VALIDATORS: Record<string, (body: unknown, limits: SandboxLimits) => Verdict> = {
  '/users/track': validateTrack,
  '/users/identify': validateIdentify,
  '/users/alias/new': validateAliasNew,
};

const DEFAULT_MESSAGES: Record<number, string> = { 401: 'Invalid API Key', 404: 'Unknown REST API Key', 429: 'Rate limit exceeded' };

/** The REST API key permission an endpoint needs, by Braze's name: `/users/alias/new` needs `users.alias.new`. */
export const permissionOf = (endpoint: string): string => endpoint.slice(1).replace(/\//g, '.');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/**
 * A local stand-in for Braze's user endpoints, faithful to shared/reference:
 * - limits: 75 /users/track objects per request across the three arrays, as Braze counts
 *   today (`limits: { trackCombined: null }` for the legacy 75 per array), 50 for the other
 *   endpoints; over them, `400 Max Input Length Exceeded`;
 * - field rules: an invalid object is a minor error in a 201 (`errors[]`, the rest
 *   processed), and a /users/track request whose objects are all invalid is a 400 listing
 *   them, as Braze answers ("Valid data must be provided ...");
 * - a wrong key: 401 "Invalid API Key", or with `unknownKeyStatus: 404` the 404 "Unknown
 *   REST API Key" Braze's error table also lists for a key it does not know;
 * - a key without an endpoint's permission (`denied`, e.g. `users.identify`): that endpoint
 *   only is refused, 403 (or `missingPermissionStatus: 401`), the others answer as usual;
 * - rate limits per endpoint family with `X-RateLimit-*` on every answer, and 429s without
 *   `Retry-After`, which Braze does not send;
 * plus faults (status storms, slowness, answers dripped or oversized or quoting the key,
 * far rate-limit resets, dropped connections, 202 queued, objects refused for the whole
 * request) and a record of what it accepted, for tests and the demo.
 */
export async function startBrazeSandbox(options: SandboxOptions = {}): Promise<BrazeSandbox> {
  const limits: SandboxLimits = { trackArray: 75, trackCombined: 75, other: 50, ...options.limits };
  const unknownKeyStatus = options.unknownKeyStatus ?? 401;
  const rate = options.rateLimit ?? { limit: 3000, windowMs: 3000 };
  const windows = new Map<string, { start: number; used: number }>();
  const faults = new Faults();
  const log = options.log ?? (() => undefined);

  const sandbox: BrazeSandbox = {
    url: '',
    received: [],
    requests: [],
    inFlight: 0,
    apiKey: options.apiKey ?? 'sandbox-key',
    denied: new Set(),
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    reset() {
      this.received.length = 0;
      this.requests.length = 0;
      faults.clear();
      windows.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const send = (res: ServerResponse, record: SandboxRequest, body: unknown) => {
    sandbox.requests.push(record);
    res.writeHead(record.status, { 'Content-Type': 'application/json', ...record.headers });
    res.end(JSON.stringify(body));
    log(`${record.endpoint} ${record.status} (${record.objects} objects)`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const endpoint = (req.url ?? '').split('?')[0];
    const raw = await readBody(req);
    if (endpoint.startsWith('/_sandbox/')) return control(req, res, endpoint, raw);
    const validate = VALIDATORS[endpoint];
    if (req.method !== 'POST' || !validate) return send(res, { endpoint, status: 404, objects: 0, at, headers: {} }, { message: 'Not Found' });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const objects = isJsonObject(body) ? objectsOf(body).length : 0;

    const family = endpoint === '/users/track' ? 'track' : 'users';
    let window = windows.get(family);
    if (!window || at - window.start >= rate.windowMs) windows.set(family, (window = { start: at, used: 0 }));
    window.used++;
    const fault = faults.next();
    const said = fault?.kind === 'rate-limit' ? { remaining: fault.remaining, reset: Math.ceil(at / 1000 + fault.resetInSeconds) } : null;
    const reset = said?.reset ?? Math.ceil((window.start + rate.windowMs) / 1000);
    const remaining = said?.remaining ?? Math.max(0, rate.limit - window.used);
    const rateHeaders = { 'X-RateLimit-Limit': String(rate.limit), 'X-RateLimit-Remaining': String(remaining), 'X-RateLimit-Reset': String(reset) };
    const answer = (status: number, response: unknown, headers: Record<string, string> = rateHeaders) => send(res, { endpoint, status, objects, at, headers }, response);
    const streamed = (status: number) => {
      const record: SandboxRequest = { endpoint, status, objects, at, headers: rateHeaders };
      sandbox.requests.push(record);
      log(`${endpoint} ${status} (${objects} objects, ${fault?.kind})`);
      return record;
    };

    if (fault?.kind === 'drop') {
      sandbox.requests.push({ endpoint, status: 0, objects, at, headers: {} });
      return void req.socket.destroy();
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'drip') return drip(res, streamed(fault.status ?? 503), fault.status ?? 503, rateHeaders, fault.intervalMs, fault.bytes ?? 1000);
    if (fault?.kind === 'oversize') return oversize(res, streamed(fault.status ?? 503), fault.status ?? 503, rateHeaders, fault.bytes);
    if (fault?.kind === 'echo-authorization') return echoHeaders(req, res, streamed(fault.status ?? 401).status, rateHeaders);
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { ...rateHeaders, ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}) };
      return answer(fault.status, fault.body ?? { message: DEFAULT_MESSAGES[fault.status] ?? 'Internal Server Error' }, headers);
    }
    const key = req.headers.authorization;
    if (key === undefined) return answer(401, { message: 'Invalid API Key' });
    if (key !== `Bearer ${sandbox.apiKey}`) return answer(unknownKeyStatus, { message: unknownKeyStatus === 404 ? 'Unknown REST API Key' : 'Invalid API Key' });
    if (sandbox.denied.has(permissionOf(endpoint))) return answer(options.missingPermissionStatus ?? 403, { message: 'Invalid API Key' });
    // Braze documents no Retry-After: the client waits for X-RateLimit-Reset.
    if (window.used > rate.limit) return answer(429, { message: 'Rate limit exceeded' });
    if (body === undefined) return answer(400, { message: 'Invalid JSON' });

    const verdict = validate(body, limits);
    if (!verdict.ok) return answer(verdict.status, { message: verdict.message, errors: [] });
    const record = (failed: readonly MinorError[]) => {
      const refused = new Set(failed.map((e) => `${e.input_array}/${e.index}`));
      for (const { array, index, object } of objectsOf(body as Record<string, unknown>)) {
        if (!refused.has(`${array}/${index}`)) sandbox.received.push({ endpoint, array, object: object as Record<string, unknown> });
      }
    };
    if (fault?.kind === 'queued') {
      record([]);
      return answer(202, { message: 'queued' });
    }
    const fatal = faults.fatalObjects(body as Record<string, unknown>);
    if (fatal.length > 0) return answer(400, { message: fatal[0].type, errors: fatal });
    // Braze refuses a /users/track request in which every object is invalid, listing them all.
    if (endpoint === '/users/track' && verdict.errors.length === objects) return answer(400, { message: NO_VALID_DATA, errors: verdict.errors });
    record(verdict.errors);
    return answer(201, { message: 'success', ...verdict.processed, ...(verdict.errors.length > 0 ? { errors: verdict.errors } : {}) });
  };

  /** The control API, for `npm run braze-sandbox`: faults, the record, the accepted key. */
  const control = (req: IncomingMessage, res: ServerResponse, path: string, raw: string) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body: Record<string, unknown> = {};
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      return reply(400, { message: 'Invalid JSON' });
    }
    const route = `${req.method} ${path}`;
    if (route === 'POST /_sandbox/faults') {
      const problem = faultProblem(body);
      if (problem) return reply(400, { message: problem });
      sandbox.inject(body as unknown as Fault);
      return reply(200, { faults: faults.list() });
    }
    if (route === 'DELETE /_sandbox/faults') return reply(200, { faults: (sandbox.clearFaults(), []) });
    if (route === 'GET /_sandbox/received') return reply(200, { received: sandbox.received, requests: sandbox.requests });
    if (route === 'POST /_sandbox/reset') return reply(200, (sandbox.reset(), { ok: true }));
    if (route === 'PUT /_sandbox/permissions' && Array.isArray(body.denied) && body.denied.every((p) => typeof p === 'string')) {
      sandbox.denied.clear();
      for (const permission of body.denied as string[]) sandbox.denied.add(permission);
      return reply(200, { denied: [...sandbox.denied] });
    }
    if (route === 'PUT /_sandbox/api-key' && typeof body.apiKey === 'string') return reply(200, ((sandbox.apiKey = body.apiKey), { ok: true }));
    return reply(404, { message: `unknown control route ${route}` });
  };

  const server: Server = createServer((req, res) => {
    (sandbox as { inFlight: number }).inFlight++;
    handle(req, res)
      .catch((error) => {
        if (!res.headersSent) send(res, { endpoint: req.url ?? '', status: 500, objects: 0, at: Date.now(), headers: {} }, { message: String(error) });
      })
      .finally(() => (sandbox as { inFlight: number }).inFlight--);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (sandbox as { url: string }).url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return sandbox;
}
