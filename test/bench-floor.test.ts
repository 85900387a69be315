import { corpus } from '../bench/corpus';
import { mapHandwritten } from '../bench/handwritten';
import { defaultPlan, mapMessage } from './helpers/engine';

describe('the benchmark floor has the default mapping’s semantics', () => {
  const plan = defaultPlan();

  it.each([false, true])('identical output on 5,000 corpus messages (varied shapes: %s)', (varied) => {
    let compared = 0;
    for (const message of corpus(5000, { seed: 3, varied })) {
      expect(JSON.stringify(mapHandwritten(message))).toBe(JSON.stringify(mapMessage(plan, message)));
      compared++;
    }
    expect(compared).toBe(5000);
  });
});
