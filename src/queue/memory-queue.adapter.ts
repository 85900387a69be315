import { DEDUP_WINDOW_MS, DeliveryQueue, EnqueueResult, QueuedMessage } from './delivery-queue.port';

/** In-process queue: for tests and until a durable adapter is configured. Not crash-safe. */
export class MemoryQueue implements DeliveryQueue {
  readonly messages: QueuedMessage[] = [];
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => Date) {}

  async enqueue(messages: readonly QueuedMessage[]): Promise<EnqueueResult> {
    const now = this.now().getTime();
    const duplicates: string[] = [];
    let accepted = 0;
    for (const message of messages) {
      const seenAt = this.seen.get(message.messageId);
      if (seenAt !== undefined && now - seenAt < DEDUP_WINDOW_MS) {
        duplicates.push(message.messageId);
        continue;
      }
      this.seen.set(message.messageId, now);
      this.messages.push(message);
      accepted++;
    }
    return { accepted, duplicates };
  }
}
