import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/engine';
import { PlaygroundProcess, runOnce, startPlaygroundCli } from '../helpers/playground';

const DEFAULT_YAML = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
const files = (text = DEFAULT_YAML) => [{ file: 'mappings/braze.yaml', text }];
const T = '2024-03-01T12:00:00.000Z';
const order = (products: number) => ({
  type: 'track',
  userId: 'user-1',
  event: 'Order Completed',
  timestamp: T,
  properties: { currency: 'EUR', products: Array.from({ length: products }, (_, i) => ({ product_id: `p${i}`, price: i + 1, quantity: 1 })) },
});

describe('segment-braze playground (the command and its endpoints)', () => {
  let mappingsDir: string;
  let playground: PlaygroundProcess;

  beforeAll(async () => {
    // A copy, so that the test can tell nothing was written to it.
    mappingsDir = mkdtempSync(join(tmpdir(), 'sb-play-mappings-'));
    cpSync(join(ROOT, 'mappings'), mappingsDir, { recursive: true });
    playground = await startPlaygroundCli(['--mappings', mappingsDir]);
  });

  afterAll(async () => {
    await playground.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  it('serves the page under a strict Content-Security-Policy, with no inline script or style', async () => {
    const bare = await fetch(playground.url.replace(/\/$/, ''), { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/playground/');
    const page = await fetch(playground.url);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    // CodeMirror's own <style> elements, by a nonce that is new on every load.
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{20,})'(;|$)/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    const again = await fetch(playground.url);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).toContain(`<meta name="style-nonce" content="${nonce}">`);
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await fetch(new URL('app.js', playground.url));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
  });

  it('opens with the mapping set from --mappings and the mapping schema', async () => {
    const session = await (await fetch(new URL('api/session', playground.url))).json();
    expect(session.files).toEqual([{ file: expect.stringMatching(/braze\.yaml$/), text: DEFAULT_YAML }]);
    expect(session.schema).toEqual(JSON.parse(readFileSync(join(ROOT, 'mappings', 'schema.json'), 'utf8')));
  });

  it('maps an order to one purchase per product, packed as delivery packs them, with the trace and the examples', async () => {
    const identify = { type: 'identify', userId: 'user-1', traits: { plan: 'pro' } };
    const { status, body } = await runOnce(playground.url, { files: files(), input: JSON.stringify([order(3), identify]) });
    expect(status).toBe(200);
    // Two messages of one user, one /users/track request: delivery's packing, not one request per message.
    expect(body.requests).toHaveLength(1);
    expect(body.requests[0].endpoint).toBe('/users/track');
    expect(body.requests[0].body.purchases.map((p: { product_id: string }) => p.product_id)).toEqual(['p0', 'p1', 'p2']);
    expect(body.requests[0].body.attributes).toEqual([{ external_id: 'user-1', plan: 'pro' }]);
    expect(body.messages[0].trace.rules).toEqual([{ name: 'order-purchases', file: expect.any(String) }]);
    expect(body.messages[0].trace.unmatched).toEqual([expect.objectContaining({ name: 'track-event', reason: 'not-reached' })]);
    expect(body.messages[1].trace.unmatched).toEqual([expect.objectContaining({ name: 'merge-anonymous-profile', reason: 'condition', saw: { type: 'identify', userId: 'user-1', anonymousId: null } })]);
    expect(body.examples.length).toBeGreaterThan(3);
    expect(body.examples.every((x: { failure: unknown }) => x.failure === null)).toBe(true);
    expect(body.changesOnly).toEqual({ available: false, note: expect.stringMatching(/no attribute memory/) });
  });

  it('reads a JSON array, NDJSON, and says which line of NDJSON is not JSON', async () => {
    const ndjson = `${JSON.stringify(order(1))}\n\n${JSON.stringify(order(2))}\n`;
    const fine = await runOnce(playground.url, { files: files(), input: ndjson });
    expect(fine.body.messages).toHaveLength(2);
    const broken = await runOnce(playground.url, { files: files(), input: `${JSON.stringify(order(1))}\n{"type": "track",\n` });
    expect(broken.status).toBe(200);
    expect(broken.body.inputError).toEqual({ code: 'INVALID_INPUT', message: expect.stringMatching(/^line 2 is not JSON/), line: 2 });
  });

  it('answers a mapping that is not YAML with diagnostics at their line, not a 500', async () => {
    const { status, body } = await runOnce(playground.url, { files: files('version: 1\nrules:\n  - name: x\n   events: {'), input: JSON.stringify(order(1)) });
    expect(status).toBe(200);
    expect(body.diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', severity: 'error', file: 'mappings/braze.yaml', line: expect.any(Number) });
    expect(body.diagnostics[0].line).toBeGreaterThanOrEqual(3);
    expect(body.requests).toEqual([]);
  });

  it('keeps serving while only an example fails, and names the first differing pointer', async () => {
    const renamed = DEFAULT_YAML.replace('home_city: traits.address.city', 'town_city: traits.address.city');
    const { body } = await runOnce(playground.url, { files: files(renamed), input: JSON.stringify({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } }) });
    expect(body.requests[0].body.attributes).toEqual([{ external_id: 'u', town_city: 'Oslo' }]);
    const failed = body.examples.filter((x: { failure: unknown }) => x.failure !== null);
    expect(failed).toHaveLength(1);
    expect(failed[0].failure).toMatchObject({ code: 'EXAMPLE_FAILED', pointer: '/examples/0/expect/requests/0/body/attributes/0/home_city' });
  });

  it('refuses a body over the limit with 413 and a code, and a malformed one with 400', async () => {
    const huge = await runOnce(playground.url, { files: files(), input: 'x'.repeat((1 << 20) + 1) });
    expect(huge).toEqual({ status: 413, body: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }) });
    expect(await runOnce(playground.url, '{"files": [')).toEqual({ status: 400, body: expect.objectContaining({ code: 'INVALID_JSON' }) });
    expect(await runOnce(playground.url, { files: 'braze.yaml', input: '' })).toEqual({ status: 400, body: expect.objectContaining({ code: 'INVALID_REQUEST' }) });
    // And still serves afterwards.
    expect((await runOnce(playground.url, { files: files(), input: '' })).status).toBe(200);
  });

  it('writes nothing to the mappings directory', async () => {
    const before = readdirSync(mappingsDir).map((f) => [f, statSync(join(mappingsDir, f)).mtimeMs, readFileSync(join(mappingsDir, f), 'utf8')]);
    await runOnce(playground.url, { files: [{ file: join(mappingsDir, 'braze.yaml'), text: 'version: 1\nrules: []\n' }, { file: join(mappingsDir, 'new.yaml'), text: 'x' }], input: '' });
    expect(readdirSync(mappingsDir).map((f) => [f, statSync(join(mappingsDir, f)).mtimeMs, readFileSync(join(mappingsDir, f), 'utf8')])).toEqual(before);
  });

  it('stops on SIGTERM with exit 0, and refuses to start without mapping files', async () => {
    const other = await startPlaygroundCli();
    expect(await other.stop()).toBe(0);
    const empty = mkdtempSync(join(tmpdir(), 'sb-play-empty-'));
    await expect(startPlaygroundCli(['--mappings', empty])).rejects.toThrow(/exited with 1 .*no mapping files/s);
    rmSync(empty, { recursive: true, force: true });
  });
});
