import { BrazeRequest } from '../engine';
import { mergeKeyOf } from './work-item';

/** One Braze object as the `work` table stores it. */
export interface WorkRow {
  readonly endpoint: string;
  readonly array: string;
  /** Request-level members (merge_behavior), as JSON; null when there are none. */
  readonly options: string | null;
  readonly object: string;
  /** Counted per endpoint and array across all of a message's requests (an order over 75 products spans several), so a re-mapped dead letter finds its object again. */
  readonly position: number;
  readonly mergeKey: string | null;
}

/** The objects a message's mapped requests carry, one row each. */
export function workRowsOf(requests: readonly BrazeRequest[]): WorkRow[] {
  const rows: WorkRow[] = [];
  const positions = new Map<string, number>();
  for (const request of requests) {
    let options: Record<string, unknown> | null = null;
    for (const key in request.body) if (!Array.isArray(request.body[key])) (options ??= {})[key] = request.body[key];
    const optionsJson = options === null ? null : JSON.stringify(options);
    for (const array in request.body) {
      const objects = request.body[array];
      if (!Array.isArray(objects)) continue;
      const slot = `${request.endpoint} ${array}`;
      let position = positions.get(slot) ?? 0;
      for (const object of objects as Record<string, unknown>[]) {
        rows.push({ endpoint: request.endpoint, array, options: optionsJson, object: JSON.stringify(object), position: position++, mergeKey: mergeKeyOf(request.endpoint, object) });
      }
      positions.set(slot, position);
    }
  }
  return rows;
}
