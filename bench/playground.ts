import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackLimits } from '../src/delivery/pack';
import { TRACK_COMBINED_LIMIT } from '../src/engine';
import { PlaygroundRunner } from '../src/playground/playground-runner';
import { ROOT } from './service';

const IDENTIFY = JSON.stringify({
  type: 'identify',
  userId: 'user-1',
  timestamp: '2024-03-01T12:00:00.000Z',
  traits: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', address: { city: 'London', country: 'GB' }, plan: 'pro' },
});

export interface PlaygroundTiming {
  runs: number;
  medianMs: number;
  p95Ms: number;
  compileMedianMs: number;
}

/**
 * What one keystroke costs the server: the edited default mapping compiled (its examples
 * run), the sample mapped with the trace and packed, on the playground's worker thread, as
 * the run endpoint does it. Each run's text differs by one character, as typing makes it.
 */
export async function measurePlayground(runs: number): Promise<PlaygroundTiming> {
  const text = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
  const runner = new PlaygroundRunner(trackLimits('combined', TRACK_COMBINED_LIMIT), 10_000);
  const wall: number[] = [];
  const compile: number[] = [];
  try {
    for (let i = 0; i < runs + 20; i++) {
      const started = performance.now();
      const outcome = await runner.run({ files: [{ file: 'mappings/braze.yaml', text: `${text}# ${'x'.repeat(i % 40)}\n` }], input: IDENTIFY });
      const elapsed = performance.now() - started;
      if (!outcome.ok || outcome.answer.requests.length !== 1) throw new Error(`the playground run failed: ${JSON.stringify(outcome).slice(0, 300)}`);
      // The first runs warm the thread's JIT up: a page's first keystroke is not what typing feels like.
      if (i >= 20) {
        wall.push(elapsed);
        compile.push(outcome.answer.timings.compileMs);
      }
    }
  } finally {
    await runner.close();
  }
  const at = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
  return { runs, medianMs: round(at(wall, 0.5)), p95Ms: round(at(wall, 0.95)), compileMedianMs: round(at(compile, 0.5)) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

if (require.main === module) {
  measurePlayground(Number(process.env.PLAYGROUND_RUNS ?? 200)).then(
    (t) => console.log(`playground run per keystroke (default mapping, worker thread, ${t.runs} runs): median ${t.medianMs} ms, p95 ${t.p95Ms} ms; compile + examples median ${t.compileMedianMs} ms`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
