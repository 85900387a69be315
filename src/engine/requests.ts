import { OUTPUT_KINDS, OutputKind } from './output-kinds';

export interface BrazeRequest {
  readonly endpoint: OutputKind['endpoint'];
  readonly body: Record<string, unknown>;
}

const TRACK_ARRAYS = ['attributes', 'events', 'purchases'] as const;

/** The objects one message produced for one endpoint (and one set of request options). */
export class RequestBucket {
  readonly arrays: Record<string, Record<string, unknown>[]> = {};

  constructor(
    /** Outputs with the same key share this bucket (CompiledOutput.bucketKey). */
    readonly key: string,
    readonly endpoint: OutputKind['endpoint'],
    readonly options: Readonly<Record<string, unknown>>,
  ) {}

  add(array: string, objects: Record<string, unknown>[]): void {
    if (objects.length === 0) return;
    const list = this.arrays[array];
    if (list) list.push(...objects);
    else this.arrays[array] = objects;
  }

  /** Braze request bodies, split so that no array exceeds Braze's per-request limit. */
  toRequests(out: BrazeRequest[]): void {
    const names: string[] = [];
    if (this.endpoint === '/users/track') {
      for (const name of TRACK_ARRAYS) if (this.arrays[name] !== undefined) names.push(name);
    } else names.push(...Object.keys(this.arrays));
    if (names.length === 0) return;
    let chunks = 1;
    for (const name of names) chunks = Math.max(chunks, Math.ceil(this.arrays[name].length / limitOfArray(name)));
    for (let i = 0; i < chunks; i++) {
      const body: Record<string, unknown> = {};
      for (const name of names) {
        const limit = limitOfArray(name);
        const slice = chunks === 1 ? this.arrays[name] : this.arrays[name].slice(i * limit, (i + 1) * limit);
        if (slice.length > 0) body[name] = slice;
      }
      for (const key in this.options) body[key] = this.options[key];
      out.push({ endpoint: this.endpoint, body });
    }
  }
}

const LIMIT_OF_ARRAY: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(Object.values(OUTPUT_KINDS).map((k) => [k.array, k.limit])));

function limitOfArray(array: string): number {
  return LIMIT_OF_ARRAY[array] ?? 50;
}
