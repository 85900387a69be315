import { gzipSync } from 'node:zlib';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, startDeliveryApp } from '../helpers/delivery';

jest.setTimeout(60_000);

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
/** A track message as bytes, its userId spelled in raw bytes: what a client with a broken encoder sends. */
const trackBytes = (userId: Buffer, messageId: string) => bytes(`{"type":"track","event":"Tapped","messageId":"${messageId}","userId":"`, [...userId], '"}');
const batchBytes = (messages: Buffer[]) => bytes('{"batch":[', [...Buffer.concat(messages.flatMap((m, i) => (i === 0 ? [m] : [Buffer.from(','), m])))], ']}');

/** Four userIds that differ only in bytes that are not UTF-8: read leniently, each is "user-\uFFFD". */
const INVALID = [[0xff], [0xfe], [0xc0, 0xaf] /* an overlong "/" */, [0xed, 0xa0, 0x80] /* a UTF-16 surrogate */].map((b) => bytes('user-', b));

describe('request bodies must be UTF-8', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  beforeAll(async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
  });
  afterAll(async () => {
    await d.close();
    await sandbox.close();
  });
  const post = (path: string, body: Buffer, headers: Record<string, string> = {}) => fetch(`${d.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(body) });
  const refusal = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code });

  it('four userIds that differ only in invalid bytes are refused with INVALID_UTF8, on every endpoint, gzip or not; none is stored', async () => {
    const messages = INVALID.map((userId, i) => trackBytes(userId, `bad-${i}`));
    const answers = [
      ...(await Promise.all(messages.map((m) => post('/v1/track', m)))),
      await post('/v1/batch', batchBytes(messages)),
      await post('/v1/batch', gzipSync(batchBytes(messages)), { 'content-encoding': 'gzip' }),
      await post('/v1/webhook', bytes('[', [...Buffer.concat([messages[0], Buffer.from(','), messages[1]])], ']')),
      await post('/v1/preview', messages[2]),
    ];
    for (const answer of answers) expect(await refusal(answer)).toEqual({ status: 400, code: 'INVALID_UTF8' });
    // A valid message sent after them is the first and only one Braze sees.
    expect((await post('/v1/track', trackBytes(Buffer.from('user-after'), 'after'))).status).toBe(200);
    await eventually(() => sandbox.received.length > 0, 'the valid message to reach Braze');
    expect(sandbox.received.map((r) => r.object.external_id)).toEqual(['user-after']);
  });

  it('says where the first invalid byte is', async () => {
    const body = trackBytes(INVALID[0], 'where');
    const res = await post('/v1/track', body);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain(`byte ${body.indexOf(0xff)}`);
  });

  it('valid non-ASCII UTF-8 (emoji, CJK, accents) is accepted and reaches Braze byte for byte', async () => {
    sandbox.reset();
    const names = ['用户-東京', 'emoji-🎉👩🏽‍💻', 'Zoë-Ñandú', '한국어-ユーザー'];
    const messages = names.map((name, i) => trackBytes(Buffer.from(name, 'utf8'), `ok-${i}`));
    expect((await post('/v1/batch', batchBytes(messages.slice(0, 2)))).status).toBe(200);
    expect((await post('/v1/batch', gzipSync(batchBytes(messages.slice(2))), { 'content-encoding': 'gzip' })).status).toBe(200);
    await eventually(() => sandbox.received.length === names.length, 'every message to reach Braze');
    const received = sandbox.received.map((r) => Buffer.from(String(r.object.external_id), 'utf8'));
    expect(received.map((b) => b.toString('hex')).sort()).toEqual(names.map((n) => Buffer.from(n, 'utf8').toString('hex')).sort());
  });
});
