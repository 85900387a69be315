import { LoopHealth, LoopState } from '../../src/observability/loop-health';

const NOW = 1_709_294_400_000;
const STALL_MS = 10_000;

/** A loop's health on a clock the test moves, with every change it reported. */
function loop() {
  let clock = NOW;
  const changes: LoopState[] = [];
  const health = new LoopHealth(() => clock, STALL_MS, (state) => changes.push(state));
  return { health, changes, advance: (ms: number) => (clock += ms) };
}

describe('a loop’s health', () => {
  it('a loop that makes progress is not stalled; one that stops for the stall time is, once, until it progresses', () => {
    const { health, changes, advance } = loop();
    advance(STALL_MS - 1);
    health.progressed();
    advance(STALL_MS - 1);
    expect(health.check().stalled).toBe(false);
    advance(1);
    expect(health.check()).toMatchObject({ stalled: true, reason: 'no progress for 10 s', lastError: null });
    advance(5000);
    expect(health.check()).toMatchObject({ stalled: true, reason: 'no progress for 15 s' });
    expect(changes.map((c) => c.stalled)).toEqual([true]);
    health.progressed();
    expect(health.check().stalled).toBe(false);
    expect(changes.map((c) => c.stalled)).toEqual([true, false]);
  });

  it('failing: stalled with its last error once the stall time has passed without progress; the error stays shown after it recovers', () => {
    const { health, advance } = loop();
    health.failed('the inbox is damaged: 1.log bad record at byte 42');
    expect(health.check().stalled).toBe(false);
    advance(STALL_MS);
    health.failed('the inbox is damaged: 1.log bad record at byte 42');
    expect(health.check()).toMatchObject({ stalled: true, reason: 'failing for 10 s: the inbox is damaged: 1.log bad record at byte 42' });
    health.progressed();
    expect(health.check()).toMatchObject({ stalled: false, reason: null, lastError: { message: expect.stringMatching(/damaged/), at: new Date(NOW + STALL_MS).toISOString() } });
  });

  it('resting until work arrives is not a stall, however long; from the first append on, progress is expected', () => {
    const { health, advance } = loop();
    health.idle(true);
    advance(10 * STALL_MS);
    expect(health.check().stalled).toBe(false);
    health.workArrived();
    advance(STALL_MS - 1);
    expect(health.check().stalled).toBe(false);
    advance(1);
    expect(health.check().stalled).toBe(true);
  });

  it('a wait it announces (the rate limit, the rest between rounds) is not a stall while it lasts', () => {
    const { health, advance } = loop();
    health.waiting(60_000);
    advance(60_000 + STALL_MS - 1);
    expect(health.check()).toMatchObject({ stalled: false, lastProgressAt: new Date(NOW + 60_000).toISOString() });
    advance(1);
    expect(health.check().stalled).toBe(true);
  });
});
