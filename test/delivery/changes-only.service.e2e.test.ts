import request from 'supertest';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { DeliveryApp, eventually, scrape, startDeliveryApp } from '../helpers/delivery';

/** The service as composed (the store's own attribute memory, the shipped mapping, the settings): what users run. */
describe('sending only what changed, through the service', () => {
  let sandbox: BrazeSandbox;
  let d: DeliveryApp;
  afterEach(async () => {
    await d?.close();
    await sandbox?.close();
  });
  let seq = 0;
  const identify = (traits: Record<string, unknown>) => ({ type: 'identify', userId: 'ada', messageId: `m${++seq}`, timestamp: new Date(Date.UTC(2026, 10, 1) + seq * 1000).toISOString(), traits });
  const settled = async () => ((s) => s.pending === 0 && s.leased === 0 && s.inboxMessages === 0)(await d.store.stats());
  const attributes = () => sandbox.received.filter((r) => r.array === 'attributes').map((r) => r.object);
  const send = async (traits: Record<string, unknown>) => {
    await request(d.url).post('/v1/identify').send(identify(traits)).expect(200);
    await eventually(settled, 'the identify settled');
  };

  it('by default: an unchanged identify is not sent, a changed trait alone is, the preview says why, the metrics count it, and a restart remembers', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox);
    await send({ plan: 'pro', email: 'ada@example.com' });
    await send({ plan: 'pro', email: 'ada@example.com' });
    await send({ plan: 'team', email: 'ada@example.com' });
    expect(attributes()).toEqual([{ external_id: 'ada', plan: 'pro', email: 'ada@example.com' }, { external_id: 'ada', plan: 'team' }]);
    const preview = await request(d.url).post('/v1/preview').send(identify({ plan: 'team', email: 'new@example.com' })).expect(200);
    expect(preview.body.changes).toEqual([expect.objectContaining({ user: 'external_id:ada', leftOut: [{ key: 'plan', reason: 'unchanged' }] })]);
    expect(await scrape(d.url, 'segment_braze_braze_data_points_saved_total{reason="unchanged"}')).toBe(3);

    const dataDir = d.dataDir;
    await d.close();
    d = await startDeliveryApp(sandbox, {}, dataDir);
    await send({ plan: 'team', email: 'ada@example.com' });
    expect(attributes()).toHaveLength(2);
  });

  it('ATTRIBUTE_MEMORY=false sends every attribute every time', async () => {
    sandbox = await startBrazeSandbox();
    d = await startDeliveryApp(sandbox, { ATTRIBUTE_MEMORY: 'false' });
    await send({ plan: 'pro' });
    await send({ plan: 'pro' });
    expect(attributes()).toEqual([{ external_id: 'ada', plan: 'pro' }, { external_id: 'ada', plan: 'pro' }]);
    const preview = await request(d.url).post('/v1/preview').send(identify({ plan: 'pro' })).expect(200);
    expect(preview.body.changes).toBeUndefined();
  });
});
