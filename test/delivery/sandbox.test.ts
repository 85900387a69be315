import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';

/** The sandbox answers as shared/reference says Braze does: the tests above stand on it. */
describe('the Braze sandbox', () => {
  let sandbox: BrazeSandbox;
  afterEach(() => sandbox?.close());
  const T = '2024-03-01T12:00:00Z';
  const events = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ external_id: `u${i}`, name: 'E', time: T, ...extra }));
  const attributes = (n: number) => Array.from({ length: n }, (_, i) => ({ external_id: `u${i}`, plan: 'pro' }));
  const post = async (body: unknown, key: string | null = 'sandbox-key', path = '/users/track') => {
    const res = await fetch(sandbox.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(key === null ? {} : { Authorization: `Bearer ${key}` }) }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };

  it('counts /users/track objects across the three arrays, 75 in all', async () => {
    sandbox = await startBrazeSandbox();
    expect((await post({ events: events(50), attributes: attributes(25) })).status).toBe(201);
    expect(await post({ events: events(50), attributes: attributes(26) })).toMatchObject({ status: 400, body: { message: 'Max Input Length Exceeded' } });
  });

  it('with legacy limits, 75 per array', async () => {
    sandbox = await startBrazeSandbox({ limits: { trackCombined: null } });
    expect((await post({ events: events(75), attributes: attributes(75) })).status).toBe(201);
    expect(await post({ events: events(76) })).toMatchObject({ status: 400, body: { message: 'Max Input Length Exceeded' } });
  });

  it('refuses a request whose objects are all invalid, listing them; one invalid among valid ones is a minor error', async () => {
    sandbox = await startBrazeSandbox();
    const bad = { external_id: 'b', name: 'E', time: 'yesterday' };
    expect(await post({ events: [bad, bad] })).toMatchObject({ status: 400, body: { message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.", errors: [{ input_array: 'events', index: 0 }, { input_array: 'events', index: 1 }] } });
    expect(await post({ events: [...events(1), bad] })).toMatchObject({ status: 201, body: { message: 'success', events_processed: 1, errors: [{ input_array: 'events', index: 1 }] } });
    expect(sandbox.received).toHaveLength(1);
  });

  it('a 429 carries the rate-limit headers and no Retry-After', async () => {
    sandbox = await startBrazeSandbox({ rateLimit: { limit: 1, windowMs: 60_000 } });
    await post({ events: events(1) });
    const limited = await post({ events: events(1) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(Number(limited.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now());
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('a wrong key is a 401, or the 404 "Unknown REST API Key"; a missing key is a 401', async () => {
    sandbox = await startBrazeSandbox();
    expect(await post({ events: events(1) }, 'wrong')).toMatchObject({ status: 401, body: { message: 'Invalid API Key' } });
    await sandbox.close();
    sandbox = await startBrazeSandbox({ unknownKeyStatus: 404 });
    expect(await post({ events: events(1) }, 'wrong')).toMatchObject({ status: 404, body: { message: 'Unknown REST API Key' } });
    expect((await post({ events: events(1) }, null)).status).toBe(401);
  });

  it('a key without an endpoint’s permission is refused there only: 403 (or 401 when told), the other endpoints answer as usual; set from the control API', async () => {
    sandbox = await startBrazeSandbox();
    const identifyBody = { aliases_to_identify: [{ external_id: 'u', user_alias: { alias_name: 'a', alias_label: 'l' } }], merge_behavior: 'merge' };
    const put = (denied: unknown) => fetch(sandbox.url + '/_sandbox/permissions', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ denied }) });
    expect((await put(['users.identify'])).status).toBe(200);
    expect(await post(identifyBody, 'sandbox-key', '/users/identify')).toMatchObject({ status: 403, body: { message: 'Invalid API Key' } });
    expect((await post({ events: events(1) })).status).toBe(201);
    expect((await post(identifyBody, 'wrong', '/users/identify')).status).toBe(401); // a wrong key is a wrong key first
    expect((await put('users.identify')).status).toBe(404);
    expect((await put([])).status).toBe(200);
    expect((await post(identifyBody, 'sandbox-key', '/users/identify')).status).toBe(201);
    await sandbox.close();
    sandbox = await startBrazeSandbox({ missingPermissionStatus: 401 });
    sandbox.denied.add('users.track');
    expect((await post({ events: events(1) })).status).toBe(401);
    expect((await post(identifyBody, 'sandbox-key', '/users/identify')).status).toBe(201);
  });

  it('faults from the control API: checked when posted; queued answers 202; fatal-object refuses the whole request naming the object', async () => {
    sandbox = await startBrazeSandbox();
    const fault = (body: unknown) => post(body, null, '/_sandbox/faults');
    expect(await fault({ kind: 'fatal-object', count: -1 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/needs match/) } });
    expect(await fault({ kind: 'queued' })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/needs count/) } });
    expect((await fault({ kind: 'queued', count: 1 })).status).toBe(200);
    expect(await post({ events: events(2) })).toMatchObject({ status: 202, body: { message: 'queued' } });
    expect((await fault({ kind: 'fatal-object', match: { external_id: 'u1' }, message: 'bad user', count: 1 })).status).toBe(200);
    expect(await post({ events: events(3) })).toMatchObject({ status: 400, body: { message: 'bad user', errors: [{ type: 'bad user', input_array: 'events', index: 1 }] } });
    expect((await post({ events: events(3) })).status).toBe(201); // count: 1 is spent
    expect(sandbox.requests.map((r) => [r.status, r.objects])).toEqual([[202, 2], [400, 3], [201, 3]]);
    expect(sandbox.received).toHaveLength(5);
  });

  it('hostile faults: checked when posted; rate-limit says a far reset; echo-authorization quotes the key back', async () => {
    sandbox = await startBrazeSandbox();
    const fault = (body: unknown) => post(body, null, '/_sandbox/faults');
    expect(await fault({ kind: 'drip', count: 1 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/needs intervalMs/) } });
    expect(await fault({ kind: 'oversize', bytes: -1, count: 1 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/needs bytes/) } });
    expect(await fault({ kind: 'echo-authorization', status: 99, count: 1 })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/HTTP status/) } });
    sandbox.inject({ kind: 'rate-limit', remaining: 0, resetInSeconds: 1_000_000, count: 1 });
    const far = await post({ events: events(1) });
    expect(far.status).toBe(201);
    expect(far.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(far.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 999_000);
    sandbox.inject({ kind: 'echo-authorization', status: 404, count: 1 });
    const res = await fetch(sandbox.url + '/users/track', { method: 'POST', headers: { Authorization: 'Bearer sandbox-key' }, body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('authorization: Bearer sandbox-key');
  });
});
