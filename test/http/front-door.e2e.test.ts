import { createHmac } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { basic, startApp, TestApp } from '../helpers/app';
import { eventually, scrape } from '../helpers/delivery';

// The front door under peers that hold it: connections that never finish their headers or
// their body, more connections than the process can hold, and bodies sent with a wrong key.

const KEY = 'the-right-key';
const track = (userId: string) => ({ type: 'track', userId, event: 'Signed Up', messageId: `m-${userId}` });

/** A raw connection: what it has received, and when it was closed (by either side). */
interface Raw {
  readonly socket: Socket;
  received(): string;
  readonly closed: Promise<number>;
}

function raw(port: number, first = ''): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    // A connection the server refuses may be reset rather than closed: both are a close here.
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('connect', () => {
      if (first !== '') socket.write(first);
      resolve({ socket, received: () => received, closed });
    });
    socket.once('error', reject);
  });
}

const head = (path: string, headers: Record<string, string | number>) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

/** The JSON body of a raw HTTP answer and its status. */
function answer(text: string): { status: number; body: { error?: { code: string } } } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { status, body: body === '' ? {} : JSON.parse(body) };
}

async function ordinary(url: string, userId: string): Promise<number> {
  const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(KEY) }, body: JSON.stringify({ batch: [track(userId)] }) });
  await res.arrayBuffer();
  return res.status;
}

const portOf = (t: TestApp) => Number(new URL(t.url).port);

describe('connections that never finish a request', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: KEY, HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_BODY_TIMEOUT_MS: '1500', HTTP_KEEP_ALIVE_TIMEOUT_MS: '300', HTTP_MAX_CONNECTIONS: '1000' });
  });
  afterAll(() => t.close());

  it('a flood of headers without bodies (and of unfinished headers) is answered 408 and closed within the bound; ordinary requests succeed throughout', async () => {
    const port = portOf(t);
    const bodyless = head('/v1/batch', { 'Content-Type': 'application/json', 'Content-Length': 1000 });
    const flood = await Promise.all(Array.from({ length: 300 }, (_, i) => raw(port, i % 3 === 0 ? 'POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n' : bodyless)));
    const floodSent = Date.now();
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => ordinary(t.url, `during-${i}`)));
    const servedAt = Date.now();
    const closedAt = await Promise.all(flood.map((c) => c.closed));

    expect(during).toEqual(Array(10).fill(200));
    expect(servedAt).toBeLessThan(Math.min(...closedAt)); // served while the whole flood was held
    // The bound is the body's 1.5 s (the header timeout's 1 s for the unfinished ones), plus Node's check and a busy machine; it was 320 s.
    expect(Math.max(...closedAt) - floodSent).toBeLessThan(5000);
    const answers = flood.map((c) => answer(c.received()));
    expect(answers.filter((_, i) => i % 3 === 0).map((a) => [a.status, a.body.error?.code])).toEqual(Array(100).fill([408, 'HEADERS_TIMEOUT']));
    expect(answers.filter((_, i) => i % 3 !== 0).map((a) => [a.status, a.body.error?.code])).toEqual(Array(200).fill([408, 'BODY_TIMEOUT']));
    expect(t.queue.messages.map((m) => m.userKey).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `during-${i}`).sort());
    expect(await ordinary(t.url, 'after')).toBe(200);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="body_timeout"}')).toBe(200);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="headers_timeout"}')).toBe(100);
  }, 30_000);

  it('what is not HTTP, and a header block over 16 KB, get a JSON answer with a code and a closed connection', async () => {
    const garbage = await raw(portOf(t), 'HELLO THERE\r\n\r\n');
    const huge = await raw(portOf(t), `POST /v1/batch HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    await Promise.all([garbage.closed, huge.closed]);
    expect(answer(garbage.received())).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_REQUEST' } } });
    expect(answer(huge.received())).toMatchObject({ status: 431, body: { error: { code: 'HEADERS_TOO_LARGE' } } });
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="malformed"}')).toBe(1);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="headers_too_large"}')).toBe(1);
  });

  it('a body sent a byte at a time is cut at its deadline with 408 BODY_TIMEOUT, though it never pauses long, and nothing is queued', async () => {
    const queued = t.queue.messages.length;
    const body = JSON.stringify({ batch: [track('drip')] });
    const c = await raw(portOf(t), head('/v1/batch', { 'Content-Type': 'application/json', 'Content-Length': body.length, Authorization: basic(KEY) }));
    let sent = 0;
    // 50 ms between bytes is far under any idle timeout; the whole body would take over 2 s, past the 1.5 s deadline.
    const drip = setInterval(() => sent < body.length && c.socket.write(body[sent++]), 50);
    await c.closed;
    clearInterval(drip);
    expect(answer(c.received())).toEqual({ status: 408, body: { success: false, error: { code: 'BODY_TIMEOUT', message: expect.stringMatching(/1500 ms/) } } });
    expect(sent).toBeLessThan(body.length);
    expect(t.queue.messages.length).toBe(queued);
  }, 30_000);
});

describe('the connection cap', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: KEY, HTTP_HEADERS_TIMEOUT_MS: '1500', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200', HTTP_MAX_CONNECTIONS: '20' });
  });
  afterAll(() => t.close());

  it('refuses connections over HTTP_MAX_CONNECTIONS as they arrive; once the timeouts free the slots, requests are served again', async () => {
    const server = t.app.getHttpServer();
    const open = () => new Promise<number>((resolve) => server.getConnections((_: unknown, n: number) => resolve(n)));
    const held = await Promise.all(Array.from({ length: 20 }, () => raw(portOf(t), 'POST /v1/batch HTTP/1.1\r\n')));
    await eventually(async () => (await open()) === 20, 'the server to hold the 20 connections');
    const excess = await Promise.all(Array.from({ length: 10 }, () => raw(portOf(t))));
    const excessClosed = await Promise.all(excess.map((c) => c.closed));
    expect(excess.map((c) => c.received())).toEqual(Array(10).fill(''));
    // Refused at once, not held until a timeout.
    expect(held.every((c) => c.received() === '')).toBe(true);
    expect(Math.max(...excessClosed)).toBeLessThan(Math.min(...(await Promise.all(held.map((c) => c.closed)))));
    expect(held.map((c) => answer(c.received()).body.error?.code)).toEqual(Array(20).fill('HEADERS_TIMEOUT'));
    expect(await ordinary(t.url, 'after-the-flood')).toBe(200);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="too_many_connections"}')).toBe(10);
  }, 30_000);
});

/** A gzip stream that never ends in practice: one member of 1 MB of zeros (about 1 KB), sent again and again. */
const BOMB_MEMBER = gzipSync(Buffer.alloc(2 ** 20));
const BOMB_BYTES = 64 * 2 ** 20;

/** Sends the bomb after `headers` until the server closes; what was written, what came back. */
async function sendBomb(port: number, path: string, headers: Record<string, string>): Promise<{ written: number; status: number; code?: string }> {
  const c = await raw(port, head(path, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': BOMB_BYTES, ...headers }));
  let written = 0;
  let open = true;
  void c.closed.then(() => (open = false));
  while (open && written < BOMB_BYTES) {
    const more = c.socket.write(BOMB_MEMBER);
    written += BOMB_MEMBER.length;
    if (!more) await new Promise((resume) => (c.socket.once('drain', resume), c.socket.once('close', resume)));
  }
  await c.closed;
  const { status, body } = answer(c.received());
  return { written, status, code: body.error?.code };
}

describe('credentials before the body', () => {
  const secret = 'webhook-secret';
  let t: TestApp;
  let signed: TestApp;
  beforeAll(async () => {
    t = await startApp({ SEGMENT_WRITE_KEYS: KEY, HTTP_BODY_TIMEOUT_MS: '10000' });
    signed = await startApp({ SEGMENT_WRITE_KEYS: KEY, WEBHOOK_SHARED_SECRET: secret });
  });
  afterAll(async () => {
    await t.close();
    await signed.close();
  });

  it('a gzip bomb with a wrong key in Authorization is answered 401 without its body being read', async () => {
    const outcome = await sendBomb(portOf(t), '/v1/batch', { Authorization: basic('a-wrong-key') });
    expect(outcome).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    // The server closed the connection after its answer: most of the 64 MB was never taken.
    expect(outcome.written).toBeLessThan(BOMB_BYTES / 2);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="unauthorized"}')).toBe(1);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="body_too_large"}')).toBe(0);
  }, 30_000);

  it('the same bomb with the right key is inflated only up to 500 KB, then refused, the inflater destroyed and the connection closed', async () => {
    const outcome = await sendBomb(portOf(t), '/v1/batch', { Authorization: basic(KEY) });
    expect(outcome).toMatchObject({ status: 400, code: 'BODY_TOO_LARGE' });
    expect(outcome.written).toBeLessThan(BOMB_BYTES / 2);
    expect(await scrape(t.url, 'segment_braze_http_requests_refused_total{reason="body_too_large"}')).toBe(1);
  }, 30_000);

  it('a wrong key in Authorization is 401 however the body is (where it used to be the body\'s 400), without the key in the answer', async () => {
    for (const body of ['{not json', JSON.stringify({ batch: [track('x')], writeKey: KEY })]) {
      const res = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('a-wrong-key') }, body });
      const text = await res.text();
      expect([res.status, JSON.parse(text).error.code]).toEqual([401, 'UNAUTHORIZED']);
      expect(text).not.toContain('a-wrong-key');
    }
  });

  it('credentials that only the body can carry work as before: writeKey in the body, with or without a header that names no key; the signed webhook whatever its Authorization', async () => {
    const post = (url: string, path: string, body: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (res) => [res.status, await res.text()]);
    expect((await post(t.url, '/v1/track', JSON.stringify({ ...track('in-body'), writeKey: KEY })))[0]).toBe(200);
    expect((await post(t.url, '/v1/track', JSON.stringify({ ...track('bearer'), writeKey: KEY }), { authorization: 'Bearer something' }))[0]).toBe(200);
    expect((await post(t.url, '/v1/track', JSON.stringify({ ...track('empty-user'), writeKey: KEY }), { authorization: basic('') }))[0]).toBe(200);
    expect((await post(t.url, '/v1/track', JSON.stringify({ ...track('wrong-in-body'), writeKey: 'nope' })))[0]).toBe(401);
    const hook = JSON.stringify(track('hooked'));
    const signature = createHmac('sha1', secret).update(hook).digest('hex');
    expect((await post(signed.url, '/v1/webhook', hook, { 'x-signature': signature, authorization: basic('a-wrong-key') }))[0]).toBe(200);
    expect((await post(t.url, '/v1/m', JSON.stringify({ series: [] }), { authorization: basic('a-wrong-key') }))[0]).toBe(200);
    expect(t.queue.messages.map((m) => m.userKey).sort()).toEqual(['bearer', 'empty-user', 'in-body']);
    expect(signed.queue.messages.map((m) => m.userKey)).toEqual(['hooked']);
  });

  it('a gzip body with the right key in Authorization is read and queued as before', async () => {
    const res = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: basic(KEY) }, body: new Uint8Array(gzipSync(JSON.stringify({ batch: [track('zipped')] }))) });
    expect(res.status).toBe(200);
    expect(t.queue.messages.map((m) => m.userKey)).toContain('zipped');
  });
});

describe('closing the app', () => {
  it('ends while connections hold unfinished headers, unsent bodies and idle keep-alives', async () => {
    const t = await startApp({ SEGMENT_WRITE_KEYS: KEY, HTTP_BODY_TIMEOUT_MS: '1000' });
    const port = portOf(t);
    const held = await Promise.all([
      ...Array.from({ length: 20 }, () => raw(port, 'POST /v1/batch HTTP/1.1\r\n')),
      ...Array.from({ length: 20 }, () => raw(port, head('/v1/batch', { 'Content-Type': 'application/json', 'Content-Length': 100 }))),
      raw(port),
    ]);
    expect(await ordinary(t.url, 'kept-alive')).toBe(200);
    await eventually(() => t.queue.messages.length === 1, 'the ordinary request to be queued');
    await t.close();
    await Promise.all(held.map((c) => c.closed));
  }, 30_000);
});
