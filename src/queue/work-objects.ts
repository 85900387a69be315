import { BrazeRequest } from '../engine';
import { isJsonObject } from '../engine/json';
import { ChangesOnly, WorkObject } from './ports/work-queue.port';
import { mergeKeyOf } from './work-item';

/** Until the mapping language says so per output: every /users/track attributes object sends only what changed. */
const changesOnlyOf = (endpoint: string, array: string): ChangesOnly | null => (endpoint === '/users/track' && array === 'attributes' ? { alwaysSent: [] } : null);

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
      const changesOnly = changesOnlyOf(request.endpoint, array);
      for (const object of list as Record<string, unknown>[]) {
        objects.push({ endpoint: request.endpoint, array, options, object, position: position++, mergeKey: mergeKeyOf(request.endpoint, object), eventTime, changesOnly });
      }
      positions.set(slot, position);
    }
  }
  return objects;
}

/** The message's `timestamp` (corrected for the sender's clock by enrich) in epoch ms; null when it has none that parses. */
export function eventTimeOf(message: unknown): number | null {
  if (!isJsonObject(message) || typeof message.timestamp !== 'string') return null;
  const ms = Date.parse(message.timestamp);
  return Number.isFinite(ms) ? ms : null;
}
