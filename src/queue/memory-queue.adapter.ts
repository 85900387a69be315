import { AcceptedRequest, InboxEntry, RequestInbox } from './ports/request-inbox.port';
import { DEDUP_WINDOW_MS, QueuedMessage, Refusal, StoreHealth } from './ports/work-queue.port';
import { MappedRequest } from './inbox';

/**
 * In-process request inbox, for ingestion tests: expands each request at once with the same
 * expansion as the durable queue, and deduplicates. Not crash-safe.
 */
export class MemoryQueue implements RequestInbox {
  readonly messages: QueuedMessage[] = [];
  readonly refused: Refusal[] = [];
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => Date,
    private readonly expansionOf: (entry: InboxEntry) => MappedRequest,
  ) {}

  async accept(request: AcceptedRequest): Promise<void> {
    const expansion = this.expansionOf(request);
    this.refused.push(...expansion.refused);
    const now = this.now().getTime();
    for (const message of expansion.messages) {
      const seenAt = this.seen.get(message.messageId);
      if (seenAt !== undefined && now - seenAt < DEDUP_WINDOW_MS) continue;
      this.seen.set(message.messageId, now);
      this.messages.push(message);
    }
  }

  async health(): Promise<StoreHealth> {
    return { up: true };
  }
}
