import request from 'supertest';
import { DeliveryService } from '../../src/delivery/delivery.service';
import { ExpansionService } from '../../src/ingest/expansion.service';
import { startBrazeSandbox } from '../../src/sandbox/braze-sandbox';
import { eventually, event, startDeliveryApp } from '../helpers/delivery';

/** Wraps `object[method]` so that its call and its settling are written to `steps`, in the order they happen. */
function record<T extends object>(steps: string[], name: string, object: T, method: keyof T & string): void {
  const original = (object[method] as (...args: unknown[]) => unknown).bind(object);
  Object.assign(object, {
    [method]: async (...args: unknown[]) => {
      steps.push(`${name} called`);
      await original(...args);
      steps.push(`${name} done`);
    },
  });
}

describe('shutdown', () => {
  it('stops taking requests, then the expansion, then delivery, then closes the store (its inbox flushed first), each after the last has finished', async () => {
    const sandbox = await startBrazeSandbox();
    const d = await startDeliveryApp(sandbox);
    try {
      // A request in flight when the shutdown starts: delivery must wait for it after the expansion has stopped.
      sandbox.inject({ kind: 'slow', delayMs: 300, count: 1 });
      await request(d.url).post('/v1/batch').send({ batch: [event('u', 0)] }).expect(200);
      await eventually(async () => (await d.store.stats()).leased === 1, 'a request in flight');

      const steps: string[] = [];
      const server = d.app.getHttpServer();
      record(steps, 'expansion', d.app.get(ExpansionService), 'stop');
      record(steps, 'delivery', d.app.get(DeliveryService), 'stop');
      record(steps, 'flush', d.store.inbox!, 'flush');
      const close = d.store.close.bind(d.store);
      d.store.close = async () => {
        steps.push(`store close called (listening: ${server.listening})`);
        await close();
        steps.push('store closed');
      };
      server.once('close', () => steps.push('http closed'));

      await d.close();
      // The store flushes its inbox as it closes.
      expect(steps).toEqual(['http closed', 'expansion called', 'expansion done', 'delivery called', 'delivery done', 'store close called (listening: false)', 'flush called', 'flush done', 'store closed']);
      expect(sandbox.received).toHaveLength(1);
    } finally {
      await sandbox.close();
    }
  });
});
