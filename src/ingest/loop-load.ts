import { performance } from 'node:perf_hooks';

/** Event-loop utilization above which requests are saturating the request path's loop. */
export const SATURATED = 0.85;

/** Whether requests saturate the request path: asked once per expansion transaction, marked after it. */
export interface LoadSignal {
  saturated(): boolean;
  mark(): void;
}

/** The loop this runs on, measured over the time since the last mark (the expander's pause). */
export function ownLoopLoad(): LoadSignal {
  let since = performance.eventLoopUtilization();
  return {
    saturated: () => performance.eventLoopUtilization(since).utilization > SATURATED,
    mark: () => {
      since = performance.eventLoopUtilization();
    },
  };
}

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
