import { parentPort } from 'node:worker_threads';
import { PackLimits } from '../delivery/pack';
import { PlaygroundRequest, runPlayground } from './playground-run';

/** The playground's compile-and-map, off the event loop that serves requests, so that a runaway can be ended. */
parentPort?.on('message', ({ id, request, limits }: { id: number; request: PlaygroundRequest; limits: PackLimits }) => {
  try {
    parentPort!.postMessage({ id, answer: runPlayground(request, limits) });
  } catch (error) {
    // runPlayground never throws for any text; should it still, the page gets a value, not a dead thread.
    parentPort!.postMessage({ id, failure: (error as Error).message });
  }
});
