import { performance } from 'node:perf_hooks';

/** Event-loop utilization above which requests are saturating the request path's loop. */
const SATURATED = 0.85;

const WINDOW_MS = 50;

/**
 * Measures this thread's loop every 50 ms and reports when it turns saturated or not, for an
 * expansion thread to pace itself by. The timer does not keep the process alive.
 */
export function reportLoopLoad(report: (saturated: boolean) => void): () => void {
  let since = performance.eventLoopUtilization();
  let last = false;
  const timer = setInterval(() => {
    const saturated = performance.eventLoopUtilization(since).utilization > SATURATED;
    since = performance.eventLoopUtilization();
    if (saturated !== last) report((last = saturated));
  }, WINDOW_MS);
  timer.unref();
  return () => clearInterval(timer);
}
