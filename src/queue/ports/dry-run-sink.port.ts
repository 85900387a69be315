import { BrazeRequest } from '../../engine';

/** One request a dry-run service built and kept instead of sending it. */
export interface DryRunRecord {
  /** The record number the CLI shows and takes. */
  readonly id: number;
  readonly at: string;
  readonly endpoint: string;
  /** Objects per body array (`attributes: 3`), so a listing need not print the bodies. */
  readonly objects: Readonly<Record<string, number>>;
  readonly body: Record<string, unknown>;
}

/** Where a dry-run service keeps the requests it would have sent: the most recent 10,000. */
export interface DryRunSink {
  record(request: BrazeRequest): Promise<void>;
  /** The most recent `limit` records, most recent first, and how many are kept. */
  list(limit: number): Promise<{ total: number; items: DryRunRecord[] }>;
  show(id: number): Promise<DryRunRecord | undefined>;
  purge(ids: readonly number[] | 'all'): Promise<number>;
}

export const DRY_RUN_SINK = Symbol('DryRunSink');
