import { Lease, WorkQueue } from '../queue/ports/work-queue.port';

/**
 * Extends `lease` every third of its TTL while its requests are in flight (long Braze
 * timeouts, slow answers, rate-limit waits), so that no sweep takes it from a live owner.
 * Says once when the lease was lost anyway; returns how to stop.
 */
export function keepExtending(queue: WorkQueue, lease: Lease, ttlMs: number, log: { warn(message: string): void }): () => void {
  let lost = false;
  const timer = setInterval(() => {
    queue.extend(lease, ttlMs).then(
      (held) => {
        if (!held && !lost) log.warn(`a lease of ${lease.items.length} object(s) expired while its requests were in flight: they are back in the queue and will be sent again`);
        lost ||= !held;
      },
      (error: unknown) => log.warn(`extending a lease failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }, ttlMs / 3);
  timer.unref();
  return () => clearInterval(timer);
}
