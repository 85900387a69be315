import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { MAPPING_SCHEMA, MappingSource } from '../engine';
import { isJsonObject } from '../engine/json';
import { playgroundCsp, playgroundPage } from './playground-page';
import { ChangesOnlyPreview, changesOnlyOf, PlaygroundRequest } from './playground-run';
import { MAX_RUN_BYTES } from './playground-limits';
import { PlaygroundRunner } from './playground-runner';


// The bundle esbuild writes beside the compiled server code (`npm run build`); under ts-jest, the build's copy.
const ASSETS_DIR = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'playground', 'web') : join(__dirname, 'web');
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

export interface PlaygroundSettings {
  /** The mapping set the page opens with, read when the page asks (the service's current set, or the CLI's directory). */
  readonly sources: () => readonly MappingSource[] | Promise<readonly MappingSource[]>;
  /** When set, every route wants it: `Authorization: Bearer <token>`, or Basic with the token as the password (what a browser can prompt for). */
  readonly token?: string;
  readonly runner: PlaygroundRunner;
  readonly changesOnly?: ChangesOnlyPreview;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const digest = (value: string) => createHash('sha256').update(value).digest();

function givenToken(authorization: string | undefined): string {
  const bearer = /^bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const basic = /^basic\s+(.+)$/i.exec(authorization ?? '')?.[1];
  if (basic === undefined) return '';
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

const refuse = (res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>) => send(res, status, { statusCode: status, code, message }, headers);

/** The body, or null once more than `limit` bytes came (the answer is then sent and the rest not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function requestOf(body: unknown): PlaygroundRequest | null {
  if (!isJsonObject(body) || typeof body.input !== 'string' || !Array.isArray(body.files)) return null;
  const files = body.files.filter((f): f is { file: string; text: string } => isJsonObject(f) && typeof f.file === 'string' && typeof f.text === 'string');
  return files.length === body.files.length ? { files: files.map(({ file, text }) => ({ file, text })), input: body.input } : null;
}

/**
 * The playground's routes, below wherever it is mounted (`/playground` in the service and the
 * CLI alike): the page, its bundle, the mapping set to start from, and the run. Nothing here
 * writes anywhere: edits live in the page until copied or downloaded.
 */
export function playgroundHandler(settings: PlaygroundSettings): Handler {
  return (req, res) => {
    void handle(settings, req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'PLAYGROUND_FAILED', 'the playground could not answer');
      else res.destroy();
    });
  };
}

async function handle(settings: PlaygroundSettings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (settings.token !== undefined && !timingSafeEqual(digest(settings.token), digest(givenToken(req.headers.authorization)))) {
    req.resume();
    return refuse(res, 401, 'UNAUTHORIZED', 'the playground wants the admin token (Authorization: Bearer …, or the password of Basic)', { 'WWW-Authenticate': 'Basic realm="segment-braze playground", charset="UTF-8"' });
  }
  const path = new URL(req.url ?? '/', 'http://playground').pathname;
  if (req.method === 'POST' && path === '/api/run') return run(settings, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not served here`);
  if (path === '/' || path === '') {
    const nonce = randomBytes(16).toString('base64');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': playgroundCsp(nonce), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    return void res.end(playgroundPage(nonce));
  }
  if (path === '/api/session') return send(res, 200, { files: await settings.sources(), schema: MAPPING_SCHEMA });
  const asset = path.slice(1);
  if (Object.hasOwn(ASSETS, asset)) {
    const bytes = await readFile(join(ASSETS_DIR, asset)).catch(() => null);
    if (bytes === null) return refuse(res, 404, 'PLAYGROUND_NOT_BUILT', `${asset} is missing: run \`npm run build\``);
    res.writeHead(200, { 'Content-Type': ASSETS[asset], 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    return void res.end(bytes);
  }
  refuse(res, 404, 'NOT_FOUND', `${path} is not part of the playground`);
}

async function run(settings: PlaygroundSettings, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req, MAX_RUN_BYTES);
  if (raw === null) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', `the files and the input together are limited to ${MAX_RUN_BYTES} bytes`, { Connection: 'close' });
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return refuse(res, 400, 'INVALID_JSON', `the body is not JSON: ${(error as Error).message}`);
  }
  const request = requestOf(body);
  if (!request) return refuse(res, 400, 'INVALID_REQUEST', 'the body is {"files": [{"file", "text"}], "input": "<messages>"}');
  const outcome = await settings.runner.run(request);
  if (!outcome.ok && outcome.code === 'PLAYGROUND_BUSY') return refuse(res, 503, outcome.code, outcome.message, { 'Retry-After': '1' });
  // A run the thread did not finish is still an answer about the text sent: a value, not a server error.
  if (!outcome.ok) return send(res, 200, { error: { code: outcome.code, message: outcome.message } });
  const changesOnly = await changesOnlyOf(settings.changesOnly, outcome.answer);
  const { objects: _objects, ...answer } = outcome.answer;
  send(res, 200, { ...answer, changesOnly });
}

export const PLAYGROUND_PREFIX = '/playground';

/**
 * The playground under `/playground/` of any node server: answers and returns true for its
 * paths, false for the others (the caller's to answer). `/playground` itself redirects to
 * `/playground/`, so that the page's relative URLs resolve below it.
 */
export function mountPlayground(handler: Handler): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '/';
    const [path, query = ''] = url.split(/\?(.*)/s);
    if (path === PLAYGROUND_PREFIX) {
      res.writeHead(308, { Location: `${PLAYGROUND_PREFIX}/${query ? `?${query}` : ''}` });
      res.end();
      return true;
    }
    if (!path.startsWith(`${PLAYGROUND_PREFIX}/`)) return false;
    req.url = url.slice(PLAYGROUND_PREFIX.length);
    handler(req, res);
    return true;
  };
}
