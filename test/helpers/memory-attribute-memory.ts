import { AcceptedAttributes, AttributeMemory, RememberedAttribute } from '../../src/queue/ports/attribute-memory.port';

/**
 * The attribute memory in a Map, written from the port's contract alone, for delivery's tests
 * until the store's adapters are composed. `remember` keeps the later event time; entries
 * expire `ttlMs` after they were written. It counts its calls, so tests can say a round
 * recalled once.
 */
export class MemoryAttributeMemory implements AttributeMemory {
  private readonly entries = new Map<string, Map<string, RememberedAttribute & { writtenAt: number }>>();
  readonly calls = { recall: 0, remember: 0, forget: 0 };

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 30 * 24 * 3600_000,
  ) {}

  async recall(users: readonly string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>>> {
    this.calls.recall++;
    const out = new Map<string, Map<string, RememberedAttribute>>();
    for (const user of users) {
      const live = [...(this.entries.get(user) ?? [])].filter(([, e]) => e.writtenAt + this.ttlMs > this.now());
      if (live.length > 0) out.set(user, new Map(live.map(([k, { fingerprint, eventTime }]) => [k, { fingerprint, eventTime }])));
    }
    return out;
  }

  async remember(accepted: readonly AcceptedAttributes[]): Promise<void> {
    this.calls.remember++;
    for (const { user, attributes } of accepted) {
      let entries = this.entries.get(user);
      if (!entries) this.entries.set(user, (entries = new Map()));
      for (const [key, entry] of attributes) {
        const before = entries.get(key);
        if (before && before.eventTime !== null && entry.eventTime !== null && before.eventTime > entry.eventTime) continue;
        entries.set(key, { ...entry, writtenAt: this.now() });
      }
    }
  }

  async forget(users: readonly string[]): Promise<void> {
    this.calls.forget++;
    for (const user of users) this.entries.delete(user);
  }

  async forgetAll(): Promise<number> {
    const n = this.entries.size;
    this.entries.clear();
    return n;
  }

  async users(): Promise<number> {
    return this.entries.size;
  }
}
