import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { basic, startApp, TestApp } from '../helpers/app';
import { ROOT } from '../helpers/engine';
import { runOnce } from '../helpers/playground';

const TOKEN = 'play-admin-token';
const DEFAULT_YAML = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
const identify = JSON.stringify({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } });

describe("the service's /playground", () => {
  let apps: TestApp[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await startApp(env);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
  });

  it('is not there unless PLAYGROUND is true', async () => {
    const t = await start({ ADMIN_TOKEN: TOKEN });
    expect((await fetch(`${t.url}/playground/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${t.url}/playground/api/run`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('wants ADMIN_TOKEN when one is set: refused without it or with another, served with it as Bearer or as the Basic password', async () => {
    const t = await start({ PLAYGROUND: 'true', ADMIN_TOKEN: TOKEN });
    const page = `${t.url}/playground/`;
    const refused = await fetch(page);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await fetch(page, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await fetch(page, { headers: { authorization: basic('not-the-token') } })).status).toBe(401);
    expect((await runOnce(page, { files: [], input: '' })).status).toBe(401);
    expect((await fetch(page, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const viaBasic = await fetch(page, { headers: { authorization: 'Basic ' + Buffer.from(`anyone:${TOKEN}`).toString('base64') } });
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('opens with the set the service is serving and maps without queueing anything', async () => {
    const t = await start({ PLAYGROUND: 'true' });
    const session = await (await fetch(`${t.url}/playground/api/session`)).json();
    expect(session.files.map((f: { text: string }) => f.text)).toEqual([DEFAULT_YAML]);
    const { status, body } = await runOnce(`${t.url}/playground/`, { files: session.files, input: identify });
    expect(status).toBe(200);
    expect(body.requests).toEqual([{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', home_city: 'Oslo' }] } }]);
    expect(t.queue.messages).toHaveLength(0);
    expect((await runOnce(`${t.url}/playground/`, { files: session.files, input: 'x'.repeat((1 << 20) + 10) })).body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a PLAYGROUND that is not true or false at boot', async () => {
    await expect(start({ PLAYGROUND: 'yes' })).rejects.toThrow(/PLAYGROUND must be true or false/);
  });
});
