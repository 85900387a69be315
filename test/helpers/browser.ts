import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import puppeteer, { Browser } from 'puppeteer-core';

/** Debian's chromium unless CHROMIUM_PATH names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with a fresh profile that fetches nothing of its own (no updates, sync,
 * field trials or QUIC probes), and whose resolver answers no host name: only IP literals,
 * so nothing the page does can leave loopback.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    pipe: true,
    userDataDir,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const UMD_DIR = join(dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd');

/**
 * A shop's page on its own loopback port (so its calls to the service are cross-origin),
 * loading analytics.js 2.0's browser build from node_modules. `analytics._cdn` is the
 * snippet's documented way to self-host: the SDK's lazily loaded bundles come from this
 * server too, never from Segment's CDN.
 */
export async function startShopPage(): Promise<{ origin: string; close(): Promise<void> }> {
  const page = `<!doctype html><html><head><title>Shop</title>
<script>window.analytics = { _cdn: location.origin };</script>
<script src="/analytics-next/bundles/index.js"></script>
</head><body><h1>Shop</h1></body></html>`;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    const file = path.startsWith('/analytics-next/bundles/') ? join(UMD_DIR, basename(path)) : null;
    if (file && existsSync(file)) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(file));
      return;
    }
    res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** Records every request a server receives, beside the handler that answers it. */
export function recordRequests(server: Server): SeenRequest[] {
  const seen: SeenRequest[] = [];
  server.on('request', (req) => seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers }));
  return seen;
}
