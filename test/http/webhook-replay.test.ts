import { createHmac } from 'node:crypto';
import request from 'supertest';
import { loadConfig } from '../../src/config/app-config';
import { startApp, TestApp } from '../helpers/app';

const secret = 'webhook-shared-secret';
const sign = (text: string) => createHmac('sha1', secret).update(text).digest('hex');
const track = (messageId: string, userId = 'victim') => ({ type: 'track', userId, event: 'Order Completed', messageId, timestamp: '2024-03-01T12:00:00.000Z', properties: {} });

/** A message Segment signed and sent on its own, as anyone who saw it pass can replay it. */
const captured = track('genuine-1');
const capturedBody = JSON.stringify(captured);
const capturedSignature = sign(capturedBody);
/** The replay: the captured message first, two of the attacker's after it, under the captured signature. */
const replay = JSON.stringify([captured, track('forged-1', 'attacker'), track('forged-2', 'attacker')]);

describe.each([
  ['by default', {}, false],
  ['with WEBHOOK_SIGNATURE_FIRST_MESSAGE=true', { WEBHOOK_SIGNATURE_FIRST_MESSAGE: 'true' }, true],
] as const)('a webhook signature that covers only the first message, %s', (_, env, firstMessageAccepted) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ WEBHOOK_SHARED_SECRET: secret, ...env });
  });
  afterAll(() => t.close());
  const hook = (body: string, signature: string) => request(t.url).post('/v1/webhook').set('Content-Type', 'application/json').set('X-Signature', signature).send(body);
  const queuedIds = () => t.queue.messages.map((m) => m.messageId);

  it('the genuine signed requests pass: one message, and an array signed whole', async () => {
    await hook(capturedBody, capturedSignature).expect(200, { success: true });
    const array = JSON.stringify([track('genuine-2'), track('genuine-3')]);
    await hook(array, sign(array)).expect(200);
    // An array of one message signed as that message: the signature covers everything there is.
    await hook(JSON.stringify([track('genuine-4')]), sign(JSON.stringify(track('genuine-4')))).expect(200);
    expect(queuedIds()).toEqual(expect.arrayContaining(['genuine-1', 'genuine-2', 'genuine-3', 'genuine-4']));
  });

  it(firstMessageAccepted ? 'the replay is accepted, as the setting asks' : 'the replay is refused with SIGNATURE_FIRST_MESSAGE_ONLY, and nothing of it is queued', async () => {
    const res = await hook(replay, capturedSignature);
    if (firstMessageAccepted) {
      expect(res.status).toBe(200);
      expect(queuedIds()).toEqual(expect.arrayContaining(['forged-1', 'forged-2']));
      return;
    }
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('SIGNATURE_FIRST_MESSAGE_ONLY');
    expect(res.body.error.message).toMatch(/WEBHOOK_SIGNATURE_FIRST_MESSAGE/);
    expect(queuedIds()).not.toContain('forged-1');
    expect(queuedIds()).not.toContain('forged-2');
  });

  it('a signature that matches nothing is UNAUTHORIZED either way', async () => {
    const res = await hook(replay, sign('something else'));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('WEBHOOK_SIGNATURE_FIRST_MESSAGE', () => {
  it('is off unless set, and takes true or false only', () => {
    expect(loadConfig({}).webhookSignatureFirstMessage).toBe(false);
    expect(loadConfig({ WEBHOOK_SIGNATURE_FIRST_MESSAGE: 'TRUE' }).webhookSignatureFirstMessage).toBe(true);
    expect(() => loadConfig({ WEBHOOK_SIGNATURE_FIRST_MESSAGE: 'yes' })).toThrow(/WEBHOOK_SIGNATURE_FIRST_MESSAGE must be true or false \(got "yes"\)/);
  });
});
