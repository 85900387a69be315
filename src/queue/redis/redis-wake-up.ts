import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { WakeUp } from '../ports/wake-up.port';

/**
 * A wake-up every instance on the Redis hears: a pub/sub channel. This instance's own
 * listeners are called at once, and its own messages ignored when they come back, so a
 * commit wakes the local delivery without a round trip.
 */
export class RedisWakeUp implements WakeUp {
  private readonly listeners = new Set<() => void>();
  private readonly instance = randomUUID();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel && message !== this.instance) this.call();
    });
  }

  /** Resolves once the channel is subscribed: from then on, every other instance's notification is heard. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  notify(): void {
    this.call();
    this.notifyOthers();
  }

  /** Tells the other instances only: this one knows already. */
  notifyOthers(): void {
    // A lost notification costs only latency: delivery also polls.
    this.publisher.publish(this.channel, this.instance).catch(() => undefined);
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private call(): void {
    for (const listener of this.listeners) listener();
  }
}
