import { MappingSource } from '../engine';
import { DiskLimits } from '../queue/disk-space';
import { LogPosition } from '../queue/inbox-reader';
import { ExpansionReport } from './inbox-expander';

/** What the thread opens for itself: the embedded store in DATA_DIR beside the service, or the Redis every instance shares. */
export type ExpansionStoreData =
  | { readonly kind: 'sqlite'; readonly dataDir: string; readonly synchronous: 'NORMAL' | 'FULL'; readonly disk?: DiskLimits }
  | {
      readonly kind: 'redis';
      readonly url: string;
      readonly prefix: string;
      /** The instance's reader of the inbox stream (its owner id). */
      readonly consumer: string;
      /** After how long another instance takes over what this one read and did not commit: the lease TTL. */
      readonly claimAfterMs: number;
    };

/** The service's own inbox, where it has one (SQLite): told of its appends, the thread reads up to them; told of the thread's commits, it counts what waits. */
export interface LocalInbox {
  onAccepted: (() => void) | null;
  writeEnd(): LogPosition;
  expanded(requests: number, messages: number): void;
  /** What opening it found and repaired, for the boot log. */
  readonly notes: readonly string[];
  /** Torn tails opening cut off, for the metrics. */
  readonly tailsCut: number;
}

/** Where the expansion runs from, as the composition root chose it. */
export interface ExpansionStore {
  readonly thread: ExpansionStoreData;
  /** Absent for Redis: the thread's reads wait for any instance's appends, and Redis counts what waits. */
  readonly local?: LocalInbox;
}

/** What the expansion thread starts from: everything else it opens itself. */
export interface ExpanderThreadData {
  readonly store: ExpansionStoreData;
  readonly batchMessages: number;
  /** The share of its time the thread takes while requests saturate the service's loop (0–1]. */
  readonly shareUnderLoad: number;
  readonly sources: readonly MappingSource[];
  /** Where the local inbox's completed appends end (SQLite only). */
  readonly writeEnd?: LogPosition;
}

/** From the service to the thread. */
export type ToExpander =
  | { readonly type: 'appended'; readonly writeEnd: LogPosition }
  | { readonly type: 'mappings'; readonly sources: readonly MappingSource[] }
  | { readonly type: 'load'; readonly saturated: boolean }
  | { readonly type: 'stop' };

/** One committed transaction, with what the metrics count. */
export type ExpandedReport = ExpansionReport & { readonly type: 'expanded' };

/** From the thread to the service. */
export type FromExpander =
  | ExpandedReport
  | { readonly type: 'warn'; readonly message: string }
  | { readonly type: 'failed'; readonly message: string }
  /** Nothing to expand up to `writeEnd`, the local inbox's end as the thread last heard it (SQLite only). */
  | { readonly type: 'idle'; readonly untilKicked: boolean; readonly writeEnd?: LogPosition };
