import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackLimits } from '../../src/delivery/pack';
import { readInput } from '../../src/playground/playground-input';
import { MAX_WAITING_RUNS, PlaygroundRunner } from '../../src/playground/playground-runner';
import { ROOT } from '../helpers/engine';

const files = [{ file: 'mappings/braze.yaml', text: readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8') }];
const limits = trackLimits('combined', 75);

describe('the playground runner (a worker thread per run, ended past its time limit)', () => {
  it('ends a run that outlasts the limit with PLAYGROUND_TIMEOUT, and a fresh thread serves the next', async () => {
    // One millisecond is less than compiling the default mapping takes (the thread's start is not counted).
    const hurried = new PlaygroundRunner(limits, 1);
    expect(await hurried.run({ files, input: '' })).toEqual({ ok: false, code: 'PLAYGROUND_TIMEOUT', message: expect.stringMatching(/longer than 1 ms/) });
    await hurried.close();
    const patient = new PlaygroundRunner(limits, 30_000);
    const outcome = await patient.run({ files, input: '{"type": "alias", "userId": "u", "previousId": "a"}' });
    expect(outcome).toMatchObject({ ok: true, answer: { requests: [{ endpoint: '/users/identify' }] } });
    await patient.close();
  });

  it('turns a run away with PLAYGROUND_BUSY while more than MAX_WAITING_RUNS wait, and serves the ones it took', async () => {
    const runner = new PlaygroundRunner(limits, 30_000);
    const outcomes = await Promise.all(Array.from({ length: MAX_WAITING_RUNS + 2 }, () => runner.run({ files, input: '' })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(MAX_WAITING_RUNS);
    expect(outcomes.slice(MAX_WAITING_RUNS)).toEqual([
      { ok: false, code: 'PLAYGROUND_BUSY', message: expect.any(String) },
      { ok: false, code: 'PLAYGROUND_BUSY', message: expect.any(String) },
    ]);
    expect(await runner.run({ files, input: '' })).toMatchObject({ ok: true });
    await runner.close();
  });
});

describe('readInput', () => {
  it('reads one message, a JSON array, or NDJSON (blank lines and a byte-order mark allowed)', () => {
    expect(readInput('{"type":"track"}')).toEqual({ ok: true, messages: [{ type: 'track' }] });
    expect(readInput('[{"a":1},{"b":2}]')).toEqual({ ok: true, messages: [{ a: 1 }, { b: 2 }] });
    expect(readInput('\uFEFF{"a":1}\n\n{"b":2}\n')).toEqual({ ok: true, messages: [{ a: 1 }, { b: 2 }] });
    expect(readInput('  ')).toEqual({ ok: true, messages: [] });
  });

  it('names the line that is not JSON, and refuses more messages than it maps at once', () => {
    expect(readInput('{"a":1}\n{"b":')).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', line: 2 } });
    expect(readInput('{nope')).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', line: 1 } });
    expect(readInput(JSON.stringify(Array.from({ length: 501 }, () => ({}))))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/at most 500/) } });
  });
});
