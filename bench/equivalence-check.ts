import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileMappingSet, mapMessage } from '../src/engine';
import { corpus } from './corpus';
import { mapHandwritten } from './handwritten';

const plan = compileMappingSet([{ file: 'braze.yaml', text: readFileSync(join(__dirname, '..', '..', 'mappings', 'braze.yaml'), 'utf8') }]).plan!;
let diff = 0;
for (const varied of [false, true]) {
  let i = 0;
  for (const m of corpus(100000, { seed: 1, varied })) {
    const a = JSON.stringify(mapMessage(plan, m));
    const b = JSON.stringify(mapHandwritten(m));
    if (a !== b && diff++ < 3) console.log(i, JSON.stringify(m), '\n', a, '\n', b);
    i++;
  }
}
console.log('differences', diff);
