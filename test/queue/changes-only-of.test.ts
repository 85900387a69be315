import { BrazeRequest } from '../../src/engine';
import { admit, unpack } from '../../src/ingest/admit';
import { changesOnlyOf, workObjectsOf } from '../../src/queue/work-objects';
import { defaultPlan, mapMessage } from '../helpers/engine';

const plan = defaultPlan();

function requestsOf(message: Record<string, unknown>): BrazeRequest[] {
  const result = mapMessage(plan, message);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.requests;
}

describe('changesOnlyOf: how a queued object is sent, from the mapping', () => {
  it('an identify of the default mapping sends changes only, and its merge request everything', () => {
    const requests = requestsOf({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: 'a@example.com' } });
    expect(requests.map((r) => r.endpoint)).toEqual(['/users/identify', '/users/track']);
    expect(changesOnlyOf(requests[0], 'aliases_to_identify', 0)).toBeNull();
    expect(changesOnlyOf(requests[1], 'attributes', 0)).toEqual({ alwaysSent: [] });
  });

  it('events and purchases are facts: always null, whatever the request carries', () => {
    const [track] = requestsOf({ type: 'track', userId: 'u1', event: 'Played', timestamp: '2024-03-01T12:00:00Z' });
    expect(changesOnlyOf(track, 'events', 0)).toBeNull();
    const forged: BrazeRequest = { endpoint: '/users/track', body: { events: [{}] }, changesOnly: [{ alwaysSent: [] }] };
    expect(changesOnlyOf(forged, 'events', 0)).toBeNull();
  });

  it('answers for every attributes object the queue makes of a request, by its index in the body', () => {
    const requests = requestsOf({ type: 'group', userId: 'u1', groupId: 'acme' });
    const objects = workObjectsOf(requests);
    expect(objects).toHaveLength(1);
    const [request] = requests;
    const index = (request.body.attributes as unknown[]).indexOf(objects[0].object);
    expect(index).toBe(0);
    expect(changesOnlyOf(request, objects[0].array, index)).toEqual({ alwaysSent: [] });
  });

  it('a copy of a request (not straight from the engine) sends everything: when in doubt, send', () => {
    const [request] = requestsOf({ type: 'identify', userId: 'u1', traits: { plan: 'pro' } });
    expect(changesOnlyOf(request, 'attributes', 0)).not.toBeNull();
    expect(changesOnlyOf(JSON.parse(JSON.stringify(request)) as BrazeRequest, 'attributes', 0)).toBeNull();
    expect(changesOnlyOf({ ...request }, 'attributes', 0)).toBeNull();
    expect(changesOnlyOf(request, 'attributes', 5)).toBeNull();
  });

  it('reaches the queue: the requests admission hands to the store still carry it', () => {
    const body = { batch: [{ type: 'identify', userId: 'u1', traits: { plan: 'pro' } }, { type: 'track', userId: 'u1', event: 'E', timestamp: '2024-03-01T12:00:00Z' }] };
    const { queued } = admit(unpack('batch', body), { receivedAt: Date.parse('2024-03-01T12:00:00Z'), idBase: 'b', sized: true }, plan);
    expect(queued.map((m) => m.requests.map((r) => changesOnlyOf(r, Object.keys(r.body)[0], 0)))).toEqual([[{ alwaysSent: [] }], [null]]);
  });
});
