import { WakeUp } from './ports/wake-up.port';

/** The wake-up of a store only this process writes: a list of listeners. */
export class LocalWakeUp implements WakeUp {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
