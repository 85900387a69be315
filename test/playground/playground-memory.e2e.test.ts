import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrazeSandbox, startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { basic } from '../helpers/app';
import { DeliveryApp, eventually, startDeliveryApp, T } from '../helpers/delivery';
import { ROOT } from '../helpers/engine';
import { runOnce } from '../helpers/playground';

jest.setTimeout(30_000);

const files = [{ file: 'mappings/braze.yaml', text: readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8') }];
const identify = (plan: string) => ({ type: 'identify', messageId: `m-${plan}`, userId: 'mem-user', timestamp: T, traits: { plan, email: 'ada@example.com' } });

describe("the service's playground with the attribute memory on", () => {
  let sandbox: BrazeSandbox;
  let service: DeliveryApp;

  beforeAll(async () => {
    sandbox = await startBrazeSandbox();
    service = await startDeliveryApp(sandbox, { PLAYGROUND: 'true' });
  });

  afterAll(async () => {
    await service?.close();
    await sandbox?.close();
  });

  it('says which attributes delivery would leave out, once Braze has accepted them', async () => {
    const page = `${service.url}/playground/`;
    const before = await runOnce(page, { files, input: JSON.stringify(identify('pro')) });
    expect(before.body.changesOnly).toEqual({ available: true, messages: [{ index: 0, changes: [expect.objectContaining({ user: expect.any(String), leftOut: [] })] }] });

    const sent = await fetch(`${service.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basic('wk') }, body: JSON.stringify({ batch: [identify('pro')] }) });
    expect(sent.status).toBe(200);
    // Once delivered and remembered, the same traits would be left out as unchanged; a changed one would still go.
    await eventually(async () => (await runOnce(page, { files, input: JSON.stringify(identify('pro')) })).body.changesOnly.messages[0].changes[0].send === null, 'the identify remembered');
    const changed = await runOnce(page, { files, input: JSON.stringify(identify('enterprise')) });
    const [object] = changed.body.changesOnly.messages[0].changes;
    expect(object.leftOut).toEqual([{ key: 'email', reason: 'unchanged' }]);
    expect(object.send).toMatchObject({ plan: 'enterprise' });
    expect(object.send).not.toHaveProperty('email');
  });
});
