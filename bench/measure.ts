/** Timing helpers: median of several runs after warm-up, with the spread. */
export interface Timing {
  medianNs: number;
  minNs: number;
  maxNs: number;
  perSecond: number;
}

declare const gc: undefined | (() => void);

export function timePerItem<T>(items: readonly T[], fn: (item: T) => unknown, runs = 7, warmups = 2): Timing {
  let sink = 0;
  const samples: number[] = [];
  for (let r = 0; r < warmups + runs; r++) {
    if (typeof gc === 'function') gc();
    const start = process.hrtime.bigint();
    for (let i = 0; i < items.length; i++) if (fn(items[i]) !== undefined) sink++;
    const ns = Number(process.hrtime.bigint() - start) / items.length;
    if (r >= warmups) samples.push(ns);
  }
  if (sink < 0) console.log(sink);
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  return { medianNs: Math.round(median), minNs: Math.round(samples[0]), maxNs: Math.round(samples[samples.length - 1]), perSecond: Math.round(1e9 / median) };
}

export function rssMb(pid: number): number {
  const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}
