import { ChangesOnly } from './changes-only';
import { OutputKind } from './output-kinds';

export interface BrazeRequest {
  readonly endpoint: OutputKind['endpoint'];
  /** Exactly what Braze receives. */
  readonly body: Record<string, unknown>;
  /**
   * How each object of `body.attributes` is sent, index for index (null: every attribute).
   * Set only on a request whose attributes include one from a `changes_only` output, and
   * not an own property: the JSON of a request (CLI lines, examples, dry-run records, the
   * HTTP body) stays endpoint and body. A copy of the request loses it, so sends everything.
   */
  readonly changesOnly?: readonly (ChangesOnly | null)[];
}

const TRACK_ARRAYS: readonly string[] = ['attributes', 'events', 'purchases'];

/** Braze's current limit: objects per /users/track request, the three arrays counted together. */
export const TRACK_COMBINED_LIMIT = 75;
/** /users/identify and /users/alias/new: entries per request. */
export const OTHER_ENDPOINT_LIMIT = 50;

/** A piece of one body array: its name, its objects, and where they start in the whole list. */
type Part = [string, unknown[], number];

/** The objects one message produced for one endpoint (and one set of request options). */
export class RequestBucket {
  /** Body array names in the order the outputs first filled them, and their objects. */
  private readonly names: string[] = [];
  private readonly lists: Record<string, unknown>[][] = [];
  /** Parallel to the attributes list, once an object of it sends changes only. */
  private attributePolicies: (ChangesOnly | null)[] | null = null;
  private attributeCount = 0;

  constructor(
    /** Outputs with the same key share this bucket (CompiledOutput.bucketKey). */
    readonly key: string,
    readonly endpoint: OutputKind['endpoint'],
    readonly options: Readonly<Record<string, unknown>>,
  ) {}

  add(array: string, objects: Record<string, unknown>[], changesOnly: ChangesOnly | null = null): void {
    if (objects.length === 0) return;
    if (array === 'attributes') {
      if (changesOnly !== null && this.attributePolicies === null) this.attributePolicies = new Array<ChangesOnly | null>(this.attributeCount).fill(null);
      if (this.attributePolicies !== null) for (let i = 0; i < objects.length; i++) this.attributePolicies.push(changesOnly);
      this.attributeCount += objects.length;
    }
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

  /**
   * Braze request bodies within Braze's current per-request limits: /users/track takes 75
   * objects across its three arrays together (listed in attributes, events, purchases
   * order, whatever order the outputs filled them), the other endpoints 50.
   */
  toRequests(out: BrazeRequest[]): void {
    const { names, lists } = this;
    if (names.length === 0) return;
    const limit = this.endpoint === '/users/track' ? TRACK_COMBINED_LIMIT : OTHER_ENDPOINT_LIMIT;
    const order = this.endpoint === '/users/track' && names.length > 1 ? TRACK_ARRAYS.filter((n) => names.includes(n)).map((n) => names.indexOf(n)) : names.map((_, i) => i);
    let parts: Part[] = [];
    let room = limit;
    for (const i of order) {
      const list = lists[i];
      for (let from = 0; from < list.length; ) {
        const take = Math.min(room, list.length - from);
        parts.push([names[i], take === list.length ? list : list.slice(from, from + take), from]);
        from += take;
        room -= take;
        if (room === 0) {
          this.push(out, parts);
          parts = [];
          room = limit;
        }
      }
    }
    if (parts.length > 0) this.push(out, parts);
  }

  private push(out: BrazeRequest[], parts: readonly Part[]): void {
    const body: Record<string, unknown> = {};
    let policies: readonly (ChangesOnly | null)[] | undefined;
    for (const [name, objects, from] of parts) {
      body[name] = objects;
      const all = this.attributePolicies;
      if (name !== 'attributes' || all === null) continue;
      // A request that takes the whole list (the usual case) shares the bucket's array.
      const slice = objects.length === all.length ? all : all.slice(from, from + objects.length);
      if (slice === all || slice.some((p) => p !== null)) policies = slice;
    }
    for (const key in this.options) body[key] = this.options[key];
    out.push(new MappedRequest(this.endpoint, body, policies));
  }
}

/**
 * A request as the engine makes it. The policy is a private field behind a getter, so that
 * the request's own properties, and so its JSON and a deep equality, stay endpoint and body
 * (a non-enumerable own property would too, but Object.defineProperty per request measured
 * at about the cost of mapping a small identify).
 */
class MappedRequest implements BrazeRequest {
  readonly #changesOnly: readonly (ChangesOnly | null)[] | undefined;

  constructor(
    readonly endpoint: OutputKind['endpoint'],
    readonly body: Record<string, unknown>,
    changesOnly: readonly (ChangesOnly | null)[] | undefined,
  ) {
    this.#changesOnly = changesOnly;
  }

  get changesOnly(): readonly (ChangesOnly | null)[] | undefined {
    return this.#changesOnly;
  }
}
