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
    const names = this.endpoint === '/users/track' ? TRACK_ARRAYS.filter((a) => this.arrays[a]) : Object.keys(this.arrays);
    if (names.length === 0) return;
    const limit = (name: string) => (name in OUTPUT_KINDS ? OUTPUT_KINDS[name as keyof typeof OUTPUT_KINDS].limit : limitOfArray(name));
    const chunks = Math.max(...names.map((n) => Math.ceil(this.arrays[n].length / limit(n))));
    for (let i = 0; i < chunks; i++) {
      const body: Record<string, unknown> = {};
      for (const name of names) {
        const slice = chunks === 1 ? this.arrays[name] : this.arrays[name].slice(i * limit(name), (i + 1) * limit(name));
        if (slice.length > 0) body[name] = slice;
      }
      Object.assign(body, this.options);
      out.push({ endpoint: this.endpoint, body });
    }
  }
}

function limitOfArray(array: string): number {
  for (const kind of Object.values(OUTPUT_KINDS)) if (kind.array === array) return kind.limit;
  return 50;
}
