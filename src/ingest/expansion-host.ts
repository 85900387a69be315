/**
 * Starts and stops the inbox's expansion, wherever it runs: on a thread of its own
 * (`expander-thread.ts`) or on the request path's loop (`loop-expansion.ts`).
 */
export interface ExpansionHost {
  start(): void;
  /** Lets the current transaction finish; the rest of the inbox waits on disk for the next start. */
  stop(): Promise<void>;
}
