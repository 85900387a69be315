import { AcceptedRequest, DEDUP_WINDOW_MS, DeliveryQueue, QueuedMessage } from './delivery-queue.port';
import { MappedRequest, InboxEntry, Refusal } from './inbox';

/**
 * In-process queue, for ingestion tests: expands each request at once with the same
 * expansion as the durable queue, and deduplicates. Not crash-safe.
 */
export class MemoryQueue implements DeliveryQueue {
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
}
