import { AcceptedAttributes, AttributeMemory, RememberedAttribute } from '../queue/ports/attribute-memory.port';
import { WorkId, WorkItem } from '../queue/ports/work-queue.port';
import { AttributeChanges, changesOf, LeftOutReason } from './attribute-changes';
import { DataPointKind, dataPointKindOf, dataPointsOf } from './data-points';
import { aliasKey, identityKeyOf } from './identity-key';
import type { PackedRequest } from './pack';

/** Where the filter reports what it saved and what was sent (metrics); all optional. */
export interface ChangesObserver {
  dataPointsSent?(kind: DataPointKind, points: number): void;
  dataPointsSaved?(reason: LeftOutReason, points: number): void;
  /** Attributes objects acknowledged without being sent: nothing in them had changed. */
  objectsNotSent?(objects: number): void;
}

interface ChangesLog {
  warn(message: string): void;
  error(message: string): void;
}

/** What became of one attributes object compared with the memory. */
interface Compared {
  readonly user: string;
  /** Compared with the memory and with the round's earlier objects of the user, as if Braze accepted them. */
  readonly inRound: AttributeChanges;
  /** Compared with the memory alone: what is sent when the request is split (its halves are not accepted together). */
  readonly alone: AttributeChanges;
  /** The round's earlier objects whose values left something of this one out. */
  readonly dependsOn: ReadonlySet<WorkId>;
}

const NOTHING_RECALLED: ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>> = new Map();

/**
 * Delivery's side of the attribute memory (the port): each round's attributes objects are
 * compared with what Braze accepted before, once per round (`prepare`), and what Braze
 * accepted of the round is remembered after it settled (`RoundChanges.finish`). Without a
 * memory (ATTRIBUTE_MEMORY=false, dry-run) everything is sent and only counted.
 */
export class AttributeFilter {
  constructor(
    private readonly memory: AttributeMemory | null,
    private readonly log: ChangesLog,
    private readonly observer: ChangesObserver = {},
  ) {}

  async prepare(items: readonly WorkItem[]): Promise<RoundChanges> {
    const users = new Set<string>();
    if (this.memory !== null) for (const item of items) if (item.changesOnly !== null) users.add(identityKeyOf(item.object) ?? '');
    users.delete('');
    const recalled = users.size === 0 ? NOTHING_RECALLED : await this.recall([...users]);
    return new RoundChanges(items, this.memory === null ? null : recalled, this.memory, this.log, this.observer);
  }

  /** A memory that cannot be read costs data points, not data: everything is sent. */
  private async recall(users: string[]): Promise<ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>> | null> {
    try {
      return await this.memory!.recall(users);
    } catch (error) {
      this.log.warn(`the attribute memory could not be read, so this round sends every attribute: ${messageOf(error)}`);
      return null;
    }
  }
}

/**
 * One round's comparison. Two objects of one user in a round go in one request, so the later
 * is compared with the earlier's values as if Braze accepted them; should they not be
 * accepted together (a split, an earlier object refused), the later is not left poorer:
 * halves send the objects as compared with the memory alone, an object left with nothing
 * to send is acknowledged only once the objects it relied on were accepted, and a user whose
 * accepted object relied on a refused one is forgotten, so that its next values are all sent.
 */
export class RoundChanges {
  /** The objects to pack, the attributes objects without what Braze has. */
  readonly send: WorkItem[] = [];
  /** Objects with nothing to send that rely on nothing of the round: acknowledged at once. */
  readonly unsent: WorkId[] = [];
  private readonly riders: WorkItem[] = [];
  private readonly compared = new Map<WorkId, Compared>();
  private readonly sentAlone = new Set<WorkId>();
  private readonly accepted: WorkItem[] = [];
  private readonly acceptedIds = new Set<WorkId>();

  constructor(
    items: readonly WorkItem[],
    recalled: ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>> | null,
    private readonly memory: AttributeMemory | null,
    private readonly log: ChangesLog,
    private readonly observer: ChangesObserver,
  ) {
    const rounds = new Map<string, { assumed: Map<string, RememberedAttribute>; from: Map<string, WorkId> }>();
    for (const item of items) {
      const user = item.changesOnly === null || recalled === null ? null : identityKeyOf(item.object);
      if (user === null) {
        this.send.push(item);
        continue;
      }
      const remembered = recalled!.get(user);
      let state = rounds.get(user);
      if (!state) rounds.set(user, (state = { assumed: new Map(remembered), from: new Map() }));
      const inRound = changesOf(item.object, item.changesOnly!, state.assumed, item.eventTime);
      const dependsOn = new Set(inRound.leftOut.flatMap((l) => (state.from.has(l.key) ? [state.from.get(l.key)!] : [])));
      const alone = dependsOn.size === 0 ? inRound : changesOf(item.object, item.changesOnly!, remembered, item.eventTime);
      for (const [key, entry] of inRound.remember) {
        const before = state.assumed.get(key);
        if (before?.eventTime != null && entry.eventTime !== null && before.eventTime > entry.eventTime) continue;
        state.assumed.set(key, entry);
        state.from.set(key, item.id);
      }
      this.compared.set(item.id, { user, inRound, alone, dependsOn });
      if (inRound.send !== null) this.send.push({ ...item, object: inRound.send });
      else if (dependsOn.size === 0) this.unsent.push(item.id);
      else this.riders.push(item);
    }
  }

  /** The request with each object as compared with the memory alone: for a split, whose halves are accepted or refused apart. */
  alone(request: PackedRequest): PackedRequest {
    const placed = request.placed.map((p) => {
      const compared = this.compared.get(p.item.id);
      if (compared === undefined || compared.alone === compared.inRound || compared.alone.send === null) return p;
      this.sentAlone.add(p.item.id);
      return { ...p, item: { ...p.item, object: compared.alone.send } };
    });
    return { ...request, placed };
  }

  /** Braze accepted these objects (a 2xx, not named in its errors). */
  acceptedNow(items: readonly WorkItem[]): void {
    for (const item of items) {
      this.accepted.push(item);
      this.acceptedIds.add(item.id);
    }
  }

  /** The objects with nothing to send whose round-mates were all accepted: acknowledged with the round. */
  ridersToAck(): WorkId[] {
    return this.riders.filter((r) => [...this.compared.get(r.id)!.dependsOn].every((id) => this.acceptedIds.has(id))).map((r) => r.id);
  }

  /**
   * After the round's settlement: what Braze accepted is remembered (whatever became of the
   * lease: Braze has it), then the users of merged aliases and those in doubt are forgotten.
   * Counted only when the settlement was applied, the objects not sent included.
   */
  async finish(settled: boolean, ridersAcked: readonly WorkId[]): Promise<void> {
    const doubtful = new Set<string>();
    const remembered = new Map<string, Map<string, RememberedAttribute>>();
    for (const item of this.accepted) {
      this.countSent(item);
      const compared = this.compared.get(item.id);
      if (compared === undefined) continue;
      const used = this.sentAlone.has(item.id) ? compared.alone : compared.inRound;
      this.countSaved(used, settled);
      if (used === compared.inRound && [...compared.dependsOn].some((id) => !this.acceptedIds.has(id))) doubtful.add(compared.user);
      let entries = remembered.get(compared.user);
      if (!entries) remembered.set(compared.user, (entries = new Map()));
      for (const [key, entry] of used.remember) entries.set(key, entry);
    }
    if (settled) {
      const notSent = [...this.unsent, ...ridersAcked];
      for (const id of notSent) this.countSaved(this.compared.get(id)!.inRound, true);
      if (notSent.length > 0) this.observer.objectsNotSent?.(notSent.length);
    }
    if (this.memory === null) return;
    const forget = new Set([...doubtful, ...this.mergedUsers()]);
    const accepted: AcceptedAttributes[] = [...remembered].filter(([user, a]) => a.size > 0 && !forget.has(user)).map(([user, attributes]) => ({ user, attributes }));
    await this.rememberAccepted(accepted);
    if (forget.size > 0) await this.forget([...forget]);
  }

  private countSent(item: WorkItem): void {
    const kind = item.endpoint === '/users/track' ? dataPointKindOf(item.array) : null;
    if (kind === null) return;
    const points = dataPointsOf(item.array, item.object);
    if (points > 0) this.observer.dataPointsSent?.(kind, points);
  }

  private countSaved(changes: AttributeChanges, settled: boolean): void {
    if (!settled) return;
    for (const left of changes.leftOut) this.observer.dataPointsSaved?.(left.reason, left.points);
  }

  /** Both users of every alias Braze merged in the round: what was remembered of either may no longer be what Braze has. */
  private mergedUsers(): string[] {
    return this.accepted.flatMap((item) => {
      if (item.endpoint !== '/users/identify' || item.mergeKey === null) return [];
      const [externalId, name, label] = JSON.parse(item.mergeKey) as [string, string, string];
      return [`external_id:${externalId}`, aliasKey(name, label)];
    });
  }

  private async rememberAccepted(accepted: AcceptedAttributes[]): Promise<void> {
    if (accepted.length === 0) return;
    try {
      await this.memory!.remember(accepted);
    } catch (error) {
      // Not remembered, sent again next time: data points, not data.
      this.log.warn(`remembering what Braze accepted of ${accepted.length} user(s) failed, so those values will be sent again: ${messageOf(error)}`);
    }
  }

  private async forget(users: string[]): Promise<void> {
    try {
      await this.memory!.forget(users);
    } catch (error) {
      this.log.error(`forgetting ${users.length} user(s) in the attribute memory failed (merged aliases or refused objects): unchanged values of theirs may be left out wrongly until it expires; run \`segment-braze memory forget --all\` if it lasts: ${messageOf(error)}`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
