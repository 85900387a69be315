import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { SandboxLimits, validateAliasNew, validateIdentify, validateTrack, Verdict } from './braze-validation';

/** What the sandbox is told to do to the next requests. `count: -1` lasts until cleared. */
export type Fault =
  | { kind: 'status'; status: number; count: number; retryAfter?: number; body?: unknown }
  | { kind: 'slow'; delayMs: number; count: number }
  | { kind: 'drop'; count: number };

export interface ReceivedObject {
  endpoint: string;
  array: string;
  object: Record<string, unknown>;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  apiKey?: string;
  limits?: Partial<SandboxLimits>;
  /** Requests per window per endpoint family, and the window (Braze: 3,000 per 3 s for /users/track). */
  rateLimit?: { limit: number; windowMs: number };
  log?: (line: string) => void;
}

export interface BrazeSandbox {
  readonly url: string;
  /** Objects Braze accepted (minor errors excluded), in arrival order. */
  readonly received: ReceivedObject[];
  /** Every request: endpoint, status and how many objects it carried. */
  readonly requests: { endpoint: string; status: number; objects: number }[];
  /** Requests being handled right now (a slow fault holds them). */
  readonly inFlight: number;
  apiKey: string;
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
 * A local stand-in for Braze's user endpoints, faithful to shared/reference: the real limits
 * and field rules, 201 bodies with *_processed and minor errors, rate-limit headers and
 * 429s, 400/401; plus fault injection (status storms, slowness, dropped connections) and a
 * record of what it accepted, for tests and the demo.
 */
export async function startBrazeSandbox(options: SandboxOptions = {}): Promise<BrazeSandbox> {
  const limits: SandboxLimits = { trackArray: 75, trackCombined: null, other: 50, ...options.limits };
  const rate = options.rateLimit ?? { limit: 3000, windowMs: 3000 };
  const windows = new Map<string, { start: number; used: number }>();
  let faults: Fault[] = [];
  const log = options.log ?? (() => undefined);

  const sandbox: BrazeSandbox = {
    url: '',
    received: [],
    requests: [],
    inFlight: 0,
    apiKey: options.apiKey ?? 'sandbox-key',
    inject: (fault) => void faults.push({ ...fault }),
    clearFaults: () => void (faults = []),
    reset() {
      this.received.length = 0;
      this.requests.length = 0;
      faults = [];
      windows.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const nextFault = (): Fault | undefined => {
    const fault = faults[0];
    if (!fault) return undefined;
    if (fault.count > 0 && --fault.count === 0) faults.shift();
    return fault;
  };

  const send = (res: ServerResponse, endpoint: string, status: number, body: unknown, headers: Record<string, string>, objects: number) => {
    sandbox.requests.push({ endpoint, status, objects });
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
    log(`${endpoint} ${status} (${objects} objects)`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const endpoint = (req.url ?? '').split('?')[0];
    const raw = await readBody(req);
    if (endpoint.startsWith('/_sandbox/')) return control(req, res, endpoint, raw);
    const validate = VALIDATORS[endpoint];
    if (req.method !== 'POST' || !validate) return send(res, endpoint, 404, { message: 'Not Found' }, {}, 0);

    const family = endpoint === '/users/track' ? 'track' : 'users';
    const now = Date.now();
    let window = windows.get(family);
    if (!window || now - window.start >= rate.windowMs) windows.set(family, (window = { start: now, used: 0 }));
    window.used++;
    const reset = Math.ceil((window.start + rate.windowMs) / 1000);
    const rateHeaders = { 'X-RateLimit-Limit': String(rate.limit), 'X-RateLimit-Remaining': String(Math.max(0, rate.limit - window.used)), 'X-RateLimit-Reset': String(reset) };

    const fault = nextFault();
    if (fault?.kind === 'drop') {
      sandbox.requests.push({ endpoint, status: 0, objects: 0 });
      return void req.socket.destroy();
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { ...rateHeaders, ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}) };
      const body = fault.body ?? { message: fault.status === 429 ? 'Rate limit exceeded' : fault.status === 401 ? 'Invalid API Key' : 'Internal Server Error' };
      return send(res, endpoint, fault.status, body, headers, 0);
    }
    if (req.headers.authorization !== `Bearer ${sandbox.apiKey}`) return send(res, endpoint, 401, { message: 'Invalid API Key' }, rateHeaders, 0);
    if (window.used > rate.limit) return send(res, endpoint, 429, { message: 'Rate limit exceeded' }, { ...rateHeaders, 'Retry-After': String(Math.max(1, reset - Math.floor(now / 1000))) }, 0);

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, endpoint, 400, { message: 'Invalid JSON' }, rateHeaders, 0);
    }
    const verdict = validate(body, limits);
    if (!verdict.ok) return send(res, endpoint, verdict.status, { message: verdict.message, errors: [] }, rateHeaders, 0);
    const failed = new Set(verdict.errors.map((e) => `${e.input_array}/${e.index}`));
    let objects = 0;
    for (const [array, list] of Object.entries(body as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      list.forEach((object, index) => {
        objects++;
        if (!failed.has(`${array}/${index}`)) sandbox.received.push({ endpoint, array, object });
      });
    }
    const response = { message: 'success', ...verdict.processed, ...(verdict.errors.length > 0 ? { errors: verdict.errors } : {}) };
    return send(res, endpoint, 201, response, rateHeaders, objects);
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
      sandbox.inject(body as unknown as Fault);
      return reply(200, { faults });
    }
    if (route === 'DELETE /_sandbox/faults') return reply(200, { faults: (sandbox.clearFaults(), faults) });
    if (route === 'GET /_sandbox/received') return reply(200, { received: sandbox.received, requests: sandbox.requests });
    if (route === 'POST /_sandbox/reset') return reply(200, (sandbox.reset(), { ok: true }));
    if (route === 'PUT /_sandbox/api-key' && typeof body.apiKey === 'string') return reply(200, ((sandbox.apiKey = body.apiKey), { ok: true }));
    return reply(404, { message: `unknown control route ${route}` });
  };

  const server: Server = createServer((req, res) => {
    (sandbox as { inFlight: number }).inFlight++;
    handle(req, res)
      .catch((error) => {
        if (!res.headersSent) send(res, req.url ?? '', 500, { message: String(error) }, {}, 0);
      })
      .finally(() => (sandbox as { inFlight: number }).inFlight--);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (sandbox as { url: string }).url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return sandbox;
}
