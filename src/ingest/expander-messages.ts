import { MappingSource } from '../engine';
import { LogPosition } from '../queue/inbox-reader';
import { ExpansionReport } from './inbox-expander';

/** What the expansion thread starts from: everything else it opens itself. */
export interface ExpanderThreadData {
  readonly dataDir: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly batchMessages: number;
  /** The share of its time the thread takes while requests saturate the service's loop (0–1]. */
  readonly shareUnderLoad: number;
  readonly sources: readonly MappingSource[];
  readonly writeEnd: LogPosition;
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
export type FromExpander = ExpandedReport | { readonly type: 'warn'; readonly message: string };
