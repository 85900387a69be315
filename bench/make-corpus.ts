
import { once } from 'node:events';
import { corpus } from './corpus';

/** node dist-bench/bench/make-corpus.js COUNT [--varied] [--seed N] > corpus.ndjson */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 42;
  const out = process.stdout;
  let buffer = '';
  for (const message of corpus(count, { seed, varied: args.includes('--varied') })) {
    buffer += JSON.stringify(message) + '\n';
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(buffer);
}

void main();
