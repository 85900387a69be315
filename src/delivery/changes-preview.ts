import { AttributeMemory, RememberedAttribute } from '../queue/ports/attribute-memory.port';
import { WorkObject } from '../queue/ports/work-queue.port';
import { changesOf, LeftOutReason } from './attribute-changes';
import { identityKeyOf } from './identity-key';

/** What delivery would leave out of one attributes object, were it delivered now. */
export interface PreviewedChanges {
  /** Its place among the message's attributes objects. */
  readonly position: number;
  /** Its Braze user key (identityKeyOf). */
  readonly user: string;
  /** What would be sent; null: nothing, the object would not be sent at all. */
  readonly send: Readonly<Record<string, unknown>> | null;
  readonly leftOut: readonly { readonly key: string; readonly reason: LeftOutReason }[];
}

/**
 * `POST /v1/preview`'s view of the attribute memory: each attributes object compared with
 * what Braze accepted before, as delivery would, read-only (nothing is remembered). The
 * message's objects are compared one after the other, each with the memory alone.
 */
export class ChangesPreviewer {
  constructor(private readonly memory: AttributeMemory | null) {}

  get enabled(): boolean {
    return this.memory !== null;
  }

  async of(objects: readonly WorkObject[]): Promise<PreviewedChanges[]> {
    const compared = objects.flatMap((o) => {
      const user = o.changesOnly === null ? null : identityKeyOf(o.object);
      return user === null ? [] : [{ o, user }];
    });
    if (this.memory === null || compared.length === 0) return [];
    const recalled: ReadonlyMap<string, ReadonlyMap<string, RememberedAttribute>> = await this.memory.recall([...new Set(compared.map((c) => c.user))]);
    return compared.map(({ o, user }) => {
      const changes = changesOf(o.object, o.changesOnly!, recalled.get(user), o.eventTime);
      return { position: o.position, user, send: changes.send, leftOut: changes.leftOut.map(({ key, reason }) => ({ key, reason })) };
    });
  }
}
