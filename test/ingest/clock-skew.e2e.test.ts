import request from 'supertest';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, startDeliveryApp } from '../helpers/delivery';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const track = (messageId: string, times: Record<string, string>) => ({ type: 'track', userId: `user-${messageId}`, event: 'Skewed', messageId, properties: {}, ...times });
const timeOf = (sandbox: BrazeSandbox, messageId: string) => sandbox.received.find((r) => r.object.external_id === `user-${messageId}`)?.object.time;

describe('clock-skew correction, bounded', () => {
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

  it('a correction that would land outside 1970 to the moment of arrival keeps the message\'s own timestamp; each such message is delivered, none is a dead letter', async () => {
    const skewedClock = new Date(Date.now() + 2 * HOUR); // a sender 2 h ahead, 5 s between the event and the send
    const batch = [
      // sentAt far in the future of the timestamp: corrected, year -5949.
      track('future-sentAt', { timestamp: '2024-03-01T12:00:00.000Z', sentAt: '9999-12-31T00:00:00.000Z' }),
      // sentAt far in the past of the timestamp: corrected, year 10055 (and long after arrival).
      track('past-sentAt', { timestamp: '9999-01-01T00:00:00.000Z', sentAt: '1970-01-01T00:00:00.000Z' }),
      // sentAt before the timestamp: corrected, some 2,000 years after arrival.
      track('ancient-sentAt', { timestamp: '2024-03-01T12:00:00.000Z', sentAt: '0001-01-01T00:00:00.000Z' }),
      // An ordinary skew is still corrected.
      track('skewed', { timestamp: new Date(skewedClock.getTime() - 5000).toISOString(), sentAt: skewedClock.toISOString() }),
    ];
    const sent = Date.now();
    await request(d.url).post('/v1/batch').send({ batch }).expect(200, { success: true });
    const drained = async () => (await d.store.stats()).pending === 0 && (await d.store.stats()).leased === 0;
    await eventually(async () => sandbox.received.length + (await d.store.stats()).deadLetters === batch.length && (await drained()), 'every message to be delivered or dead-lettered', 30_000);
    expect(await d.store.stats()).toMatchObject({ deadLetters: 0 });
    expect(timeOf(sandbox, 'future-sentAt')).toBe('2024-03-01T12:00:00.000Z');
    expect(timeOf(sandbox, 'past-sentAt')).toBe('9999-01-01T00:00:00.000Z');
    expect(timeOf(sandbox, 'ancient-sentAt')).toBe('2024-03-01T12:00:00.000Z');
    const corrected = Date.parse(String(timeOf(sandbox, 'skewed')));
    expect(Math.abs(corrected - (sent - 5000))).toBeLessThan(60_000);
  });

  it('a message whose own time lies outside 1970–9999 is refused at the door with TIME_OUT_OF_RANGE, not accepted and dead-lettered', async () => {
    const before = sandbox.received.length;
    // In its own offset a year-0000 time; in UTC, year -1.
    const single = await request(d.url).post('/v1/track').send(track('year-minus-one', { timestamp: '0000-01-01T00:30:00+01:00' }));
    expect(single.status).toBe(400);
    expect(single.body.error.code).toBe('TIME_OUT_OF_RANGE');
    const batch = [
      track('pre-epoch', { timestamp: '1969-12-31T23:59:59.000Z' }),
      track('year-10000', { originalTimestamp: '9999-12-31T23:30:00-01:00', sentAt: '9999-12-31T23:30:00-01:00' }),
      track('relayed', { timestamp: '2024-03-01T12:00:00.000Z', receivedAt: '0500-01-01T00:00:00.000Z' }),
      track('fine', { timestamp: '2024-03-01T12:00:00.000Z' }),
    ];
    const res = await request(d.url).post('/v1/batch').send({ batch }).expect(200);
    expect(res.body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [0, 'TIME_OUT_OF_RANGE'],
      [1, 'TIME_OUT_OF_RANGE'],
      [2, 'TIME_OUT_OF_RANGE'],
    ]);
    await eventually(() => sandbox.received.length === before + 1, 'the one valid message to reach Braze', 30_000);
    await eventually(async () => (await d.store.stats()).pending === 0 && (await d.store.stats()).leased === 0, 'the queue to drain');
    expect(sandbox.received.slice(before).map((r) => r.object.external_id)).toEqual(['user-fine']);
    expect(await d.store.stats()).toMatchObject({ deadLetters: 0 });
  });
});
