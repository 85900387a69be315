import { BrazeRequest, ChangesOnly } from '../engine';
import { WorkObject } from './ports/work-queue.port';
import { mergeKeyOf } from './work-item';

/** The objects a message's mapped requests carry, one each, in order. */
export function workObjectsOf(requests: readonly BrazeRequest[]): WorkObject[] {
  const objects: WorkObject[] = [];
  const positions = new Map<string, number>();
  for (const request of requests) {
    let options: Record<string, unknown> | null = null;
    for (const key in request.body) if (!Array.isArray(request.body[key])) (options ??= {})[key] = request.body[key];
    for (const array in request.body) {
      const list = request.body[array];
      if (!Array.isArray(list)) continue;
      const slot = `${request.endpoint} ${array}`;
      let position = positions.get(slot) ?? 0;
      for (const object of list as Record<string, unknown>[]) {
        objects.push({ endpoint: request.endpoint, array, options, object, position: position++, mergeKey: mergeKeyOf(request.endpoint, object) });
      }
      positions.set(slot, position);
    }
  }
  return objects;
}

/**
 * How the object at `request.body[array][index]` is to be sent, from the mapping: only what
 * changed (and `alwaysSent` every time), or null for every attribute. Only attributes objects
 * can send changes only; a request that did not come straight from the engine answers null.
 */
export function changesOnlyOf(request: BrazeRequest, array: string, index: number): ChangesOnly | null {
  return array === 'attributes' ? (request.changesOnly?.[index] ?? null) : null;
}
