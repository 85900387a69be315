/** A signal that new work is waiting: in-process for the embedded store; a pub/sub channel for a shared one. */
export interface WakeUp {
  notify(): void;
  /** Calls `listener` on every notification, from any instance; returns how to stop. */
  listen(listener: () => void): () => void;
}
