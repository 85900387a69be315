import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Who holds a lease: this instance, made once at its start; readable in the store (host, pid) and unique across restarts. */
export function ownerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
