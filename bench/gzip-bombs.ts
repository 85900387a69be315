import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, startProcess } from './service';
import { startFlags } from './start-command';

// Ordinary requests' latency while gzip bombs with a wrong write key arrive (issue 13: they
// were inflated and parsed before the key was looked at, and normal p50 went 3 → 103 ms).
// `node dist-bench/bench/gzip-bombs.js [path/to/dist/main.js]`: another build's main.js measures
// that build (the "before" figure). BOMB_SECONDS (10) per phase, BOMBS_PER_SECOND (27, the
// issue's 1,600 a minute), each on its own connection, sent at that rate whatever the answers.

const KEY = 'bench-key';
const SECONDS = Number(process.env.BOMB_SECONDS ?? 10);
const RATE = Number(process.env.BOMBS_PER_SECOND ?? 27);
/** 1 MB of zeros is about 1 KB gzip'ed: 1,000 members are 1 MB on the wire and 1 GB inflated. */
const MEMBER = gzipSync(Buffer.alloc(2 ** 20));
const BOMB = Buffer.concat(Array(1000).fill(MEMBER));
const basic = (key: string) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

/** One bomb on its own connection; the answer's status (0: none before the close). */
function bomb(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on('connect', () => {
      socket.write(`POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nAuthorization: ${basic('not-the-key')}\r\nContent-Length: ${BOMB.length}\r\nConnection: close\r\n\r\n`);
      socket.end(BOMB);
    });
  });
}

async function ordinaryLatencies(url: string, until: number): Promise<number[]> {
  const body = JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'E' }] });
  const latencies: number[] = [];
  for (let i = 0; Date.now() < until; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(KEY) }, body });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`an ordinary request got ${res.status}`);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return latencies;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const summary = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `${sorted.length} requests, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`;
};

async function main(): Promise<void> {
  const script = process.argv[2] ?? join(ROOT, 'dist', 'main.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bombs-'));
  const service = await startProcess(script, { DATA_DIR: dataDir, SEGMENT_WRITE_KEYS: KEY }, '/health/live', startFlags(ROOT));
  try {
    const port = Number(new URL(service.url).port);
    console.log(`${script}: ${RATE} bombs a second, each of ${(BOMB.length / 2 ** 20).toFixed(1)} MB gzip'ed (1 GB inflated), ${SECONDS} s per phase`);
    console.log(`alone:       ${summary(await ordinaryLatencies(service.url, Date.now() + SECONDS * 1000))}`);
    const until = Date.now() + SECONDS * 1000;
    const statuses = new Map<number, number>();
    const sent: Promise<void>[] = [];
    const fire = setInterval(() => sent.push(bomb(port).then((status) => void statuses.set(status, (statuses.get(status) ?? 0) + 1))), 1000 / RATE);
    const during = await ordinaryLatencies(service.url, until);
    clearInterval(fire);
    await Promise.all(sent);
    const answers = [...statuses].sort().map(([status, n]) => `${n} × ${status || 'closed, no answer'}`).join(', ');
    console.log(`under bombs: ${summary(during)}; bombs answered ${answers}`);
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
