import { ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import request from 'supertest';
import { basic } from '../helpers/app';
import { ROOT } from '../helpers/engine';

/** `npm start` as a user runs it: the built service in its own process. */
async function boot(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 15000;
  while (!/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`service did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1];
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

describe('the service process', () => {
  it('refuses to start on invalid mappings, printing the diagnostics', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, MAPPINGS_DIR: join('test', 'fixtures', 'mappings', 'invalid', 'unknown-key.yaml') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('unknown-key.yaml:8:5 error UNKNOWN_KEY /rules/0/whn');
  });

  it('refuses to start on invalid configuration', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env: { ...process.env, PORT: 'x' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT must be an integer/);
  });

  it('serves on its defaults, warns about open write keys, and never logs secrets', async () => {
    const secret = 'webhook-secret-value-123';
    const { child, url, output } = await boot({ LOG_LEVEL: 'info', WEBHOOK_SHARED_SECRET: secret, PORT: '0' });
    try {
      expect(output()).toMatch(/SEGMENT_WRITE_KEYS is not set/);
      await request(url).post('/v1/track').set('Authorization', basic('write-key-value-456')).send({ userId: 'u', event: 'E' }).expect(200);
      const body = JSON.stringify({ type: 'track', userId: 'u', event: 'E' });
      await request(url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', createHmac('sha1', secret).update(body).digest('hex')).send(body).expect(200);
      await request(url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', 'f'.repeat(40)).send(body).expect(401);
      await new Promise((r) => setTimeout(r, 200));
      const logs = output();
      expect(logs).toMatch(/"url":"\/v1\/track"/);
      expect(logs).not.toContain('write-key-value-456');
      expect(logs).not.toContain(Buffer.from('write-key-value-456:').toString('base64'));
      expect(logs).not.toContain(secret);
      expect(logs).toContain('[redacted]');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
