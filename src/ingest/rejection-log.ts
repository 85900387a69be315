import { Rejection } from './ingest-error';

export interface RecordedRejection extends Rejection {
  readonly at: string;
  /** The endpoint that received it: batch, track, webhook, … */
  readonly source: string;
  /** The offending message, when it was JSON at all (for inspection; at most 32 KB). */
  readonly payload?: unknown;
}

/** Invalid messages are never dropped silently: each is counted and kept for inspection. */
export interface RejectionLog {
  record(rejections: readonly RecordedRejection[]): void;
  recent(limit: number): readonly RecordedRejection[];
  counts(): Readonly<Record<string, number>>;
}

export const REJECTION_LOG = Symbol('RejectionLog');

/** Keeps the most recent rejections in a ring; counts survive until restart. */
export class MemoryRejectionLog implements RejectionLog {
  private readonly ring: RecordedRejection[] = [];
  private readonly byCode: Record<string, number> = {};

  constructor(private readonly capacity = 1000) {}

  record(rejections: readonly RecordedRejection[]): void {
    for (const r of rejections) {
      this.byCode[r.code] = (this.byCode[r.code] ?? 0) + 1;
      this.ring.push(r);
    }
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  recent(limit: number): readonly RecordedRejection[] {
    return this.ring.slice(-limit).reverse();
  }

  counts(): Readonly<Record<string, number>> {
    return { ...this.byCode };
  }
}
