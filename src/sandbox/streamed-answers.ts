import { IncomingMessage, ServerResponse } from 'node:http';

/** Counts what a streamed answer sent, and when its connection closed (by either side). */
export interface StreamRecord {
  bodyBytes?: number;
  closedAt?: number;
}

const MESSAGE: Record<number, string> = { 401: 'Invalid API Key', 404: 'Not Found', 429: 'Rate limit exceeded', 503: 'Service Unavailable' };
const messageFor = (status: number) => MESSAGE[status] ?? 'Internal Server Error';

function watch(res: ServerResponse, record: StreamRecord): void {
  record.bodyBytes = 0;
  res.on('close', () => (record.closedAt = Date.now()));
}

/** The headers at once, then a JSON body `bytes` long (padded in front), one byte every `intervalMs`, until done or the client hangs up. */
export function drip(res: ServerResponse, record: StreamRecord, status: number, headers: Record<string, string>, intervalMs: number, bytes: number): void {
  watch(res, record);
  const json = JSON.stringify({ message: messageFor(status) });
  const body = Buffer.from(' '.repeat(Math.max(0, bytes - json.length)) + json);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers });
  res.flushHeaders();
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(body.subarray(record.bodyBytes!, record.bodyBytes! + 1));
    if (++record.bodyBytes! >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

/** A JSON error body `bytes` long, written as fast as the client reads it and never held whole: one 64 KiB chunk, sent again and again. */
export function oversize(res: ServerResponse, record: StreamRecord, status: number, headers: Record<string, string>, bytes: number): void {
  watch(res, record);
  const head = Buffer.from(`{"message":"${messageFor(status)}","detail":"`);
  const tail = Buffer.from('"}');
  const filler = Buffer.alloc(64 * 1024, 'x');
  const fill = Math.max(0, bytes - head.length - tail.length);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(head.length + fill + tail.length), ...headers });
  let written = 0;
  const pump = () => {
    while (!res.destroyed) {
      if (written >= fill) return void res.end(tail, () => (record.bodyBytes! += tail.length));
      const chunk = filler.subarray(0, Math.min(filler.length, fill - written));
      written += chunk.length;
      record.bodyBytes! += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
  };
  res.write(head);
  record.bodyBytes! += head.length;
  pump();
}

/** An error page quoting the request's headers back, Authorization included, as a debugging proxy (or a careless error page) does. */
export function echoHeaders(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>): void {
  const quoted = Object.entries(req.headers).map(([name, value]) => `${name}: ${String(value)}`);
  res.writeHead(status, { 'Content-Type': 'text/html', ...headers });
  res.end(`<html><body><h1>${status} ${messageFor(status)}</h1><p>Request headers:</p><pre>\n${quoted.join('\n')}\n</pre></body></html>`);
}
