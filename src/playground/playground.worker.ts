import { parentPort } from 'node:worker_threads';
import { PackLimits } from '../delivery/pack';
import { MappingSource } from '../engine';
import { compileForPlayground, PlaygroundRequest, runPlayground } from './playground-run';

// The last set compiled: an edit of the input pane alone maps again without compiling again.
let last: { key: string; result: ReturnType<typeof compileForPlayground> } | null = null;
function compileOnce(files: readonly MappingSource[]): ReturnType<typeof compileForPlayground> {
  const key = JSON.stringify(files);
  if (last?.key !== key) last = { key, result: compileForPlayground(files) };
  return last.result;
}

/** The playground's compile-and-map, off the event loop that serves requests, so that a runaway can be ended. */
parentPort?.on('message', ({ id, request, limits }: { id: number; request: PlaygroundRequest; limits: PackLimits }) => {
  try {
    parentPort!.postMessage({ id, answer: runPlayground(request, limits, compileOnce) });
  } catch (error) {
    // runPlayground never throws for any text; should it still, the page gets a value, not a dead thread.
    parentPort!.postMessage({ id, failure: (error as Error).message });
  }
});

// Loaded: the runner starts a run's clock only now.
parentPort?.postMessage({ ready: true });
