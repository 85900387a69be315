import { BrazeRequest, ChangesOnly } from '../engine';
import { isJsonObject } from '../engine/json';
import { WorkObject } from './ports/work-queue.port';
import { mergeKeyOf } from './work-item';

/** The objects a message's mapped requests carry, one each, in order; `message` (the enriched Segment message) gives their event time. */
export function workObjectsOf(requests: readonly BrazeRequest[], message?: unknown): WorkObject[] {
  const objects: WorkObject[] = [];
  const positions = new Map<string, number>();
  const eventTime = eventTimeOf(message);
  for (const request of requests) {
    let options: Record<string, unknown> | null = null;
    for (const key in request.body) if (!Array.isArray(request.body[key])) (options ??= {})[key] = request.body[key];
    for (const array in request.body) {
      const list = request.body[array];
      if (!Array.isArray(list)) continue;
      const slot = `${request.endpoint} ${array}`;
      let position = positions.get(slot) ?? 0;
      (list as Record<string, unknown>[]).forEach((object, index) => {
        const changesOnly = changesOnlyOf(request, array, index);
        objects.push({ endpoint: request.endpoint, array, options, object, position: position++, mergeKey: mergeKeyOf(request.endpoint, object), eventTime, changesOnly });
      });
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

/** The message's `timestamp` (corrected for the sender's clock by enrich) in epoch ms; null when it has none that parses. */
export function eventTimeOf(message: unknown): number | null {
  if (!isJsonObject(message) || typeof message.timestamp !== 'string') return null;
  const ms = Date.parse(message.timestamp);
  return Number.isFinite(ms) ? ms : null;
}
