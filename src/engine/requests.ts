import { OUTPUT_KINDS, OutputKind } from './output-kinds';

export interface BrazeRequest {
  readonly endpoint: OutputKind['endpoint'];
  readonly body: Record<string, unknown>;
}

const TRACK_ARRAYS: readonly string[] = ['attributes', 'events', 'purchases'];

/** The objects one message produced for one endpoint (and one set of request options). */
export class RequestBucket {
  /** Body array names in the order the outputs first filled them, and their objects. */
  private readonly names: string[] = [];
  private readonly lists: Record<string, unknown>[][] = [];

  constructor(
    /** Outputs with the same key share this bucket (CompiledOutput.bucketKey). */
    readonly key: string,
    readonly endpoint: OutputKind['endpoint'],
    readonly options: Readonly<Record<string, unknown>>,
  ) {}

  add(array: string, objects: Record<string, unknown>[]): void {
    if (objects.length === 0) return;
    const at = this.names.indexOf(array);
    if (at === -1) {
      this.names.push(array);
      this.lists.push(objects);
    } else {
      // A loop, not push(...objects): spreading ~120,000 arguments overflows the stack.
      const list = this.lists[at];
      for (let i = 0; i < objects.length; i++) list.push(objects[i]);
    }
  }

  /** Braze request bodies, split so that no array exceeds Braze's per-request limit. */
  toRequests(out: BrazeRequest[]): void {
    const { names, lists } = this;
    if (names.length === 0) return;
    // /users/track bodies list their arrays in a fixed order; the other endpoints have one.
    const order = this.endpoint === '/users/track' && names.length > 1 ? TRACK_ARRAYS.filter((n) => names.includes(n)).map((n) => names.indexOf(n)) : null;
    let chunks = 1;
    for (let i = 0; i < names.length; i++) chunks = Math.max(chunks, Math.ceil(lists[i].length / limitOfArray(names[i])));
    for (let c = 0; c < chunks; c++) {
      const body: Record<string, unknown> = {};
      for (let j = 0; j < names.length; j++) {
        const i = order === null ? j : order[j];
        const limit = limitOfArray(names[i]);
        const slice = chunks === 1 ? lists[i] : lists[i].slice(c * limit, (c + 1) * limit);
        if (slice.length > 0) body[names[i]] = slice;
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
