import { ChangesPreviewer } from '../../src/delivery/changes-preview';
import { fingerprintOf } from '../../src/delivery/value-fingerprint';
import { workObjectsOf } from '../../src/queue/work-objects';
import { defaultPlan, mapMessage } from '../helpers/engine';
import { MemoryAttributeMemory } from '../helpers/memory-attribute-memory';

const T = Date.UTC(2026, 0, 1);
const objectsOf = (message: Record<string, unknown>) => {
  const result = mapMessage(defaultPlan(), message);
  if (!result.ok) throw new Error(result.error.message);
  return workObjectsOf(result.requests, message);
};

describe('the preview of what delivery would leave out', () => {
  it('says which attributes would be left out and why, and never remembers', async () => {
    const memory = new MemoryAttributeMemory();
    await memory.remember([{ user: 'external_id:u1', attributes: new Map([['plan', { fingerprint: fingerprintOf('pro'), eventTime: T }], ['email', { fingerprint: fingerprintOf('new@x.io'), eventTime: T }]]) }]);
    const previewer = new ChangesPreviewer(memory);
    const older = objectsOf({ type: 'identify', userId: 'u1', messageId: 'm1', timestamp: new Date(T - 1000).toISOString(), traits: { plan: 'pro', email: 'old@x.io', country: 'FR' } });
    expect(await previewer.of(older)).toEqual([
      { position: 0, user: 'external_id:u1', send: { external_id: 'u1', country: 'FR' }, leftOut: [{ key: 'email', reason: 'stale' }, { key: 'plan', reason: 'unchanged' }] },
    ]);
    const same = objectsOf({ type: 'identify', userId: 'u1', messageId: 'm2', timestamp: new Date(T + 1000).toISOString(), traits: { plan: 'pro' } });
    expect(await previewer.of(same)).toEqual([{ position: 0, user: 'external_id:u1', send: null, leftOut: [{ key: 'plan', reason: 'unchanged' }] }]);
    expect(memory.calls.remember).toBe(1);
    expect((await memory.recall(['external_id:u1'])).get('external_id:u1')!.get('plan')).toEqual({ fingerprint: fingerprintOf('pro'), eventTime: T });
  });

  it('says nothing of objects that send everything (events) or without a memory', async () => {
    const track = objectsOf({ type: 'track', userId: 'u1', event: 'E', messageId: 'm3', timestamp: new Date(T).toISOString(), properties: {} });
    expect(await new ChangesPreviewer(new MemoryAttributeMemory()).of(track)).toEqual([]);
    const identify = objectsOf({ type: 'identify', userId: 'u1', messageId: 'm4', traits: { plan: 'pro' } });
    expect(new ChangesPreviewer(null).enabled).toBe(false);
    expect(await new ChangesPreviewer(null).of(identify)).toEqual([]);
  });
});
