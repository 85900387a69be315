import { createHash } from 'node:crypto';
import { compileMappingSet, Diagnostic, FileSummary, hasErrors, MappingPlan, MappingSource } from '../engine';
import { MappingLoadError } from './mapping-load.error';
import { readMappingSources, ReadResult } from './mapping-files';

export interface ActiveMappings {
  readonly plan: MappingPlan;
  readonly directory: string;
  readonly files: readonly FileSummary[];
  /** sha256 over the file names and contents, so operators can tell versions apart. */
  readonly hash: string;
  readonly loadedAt: Date;
  /** The texts the plan was compiled from, for a thread that compiles its own (plans hold functions, which do not cross threads). */
  readonly sources: readonly MappingSource[];
}

/** Loads and compiles a mapping directory; throws MappingLoadError with every diagnostic. */
export async function loadMappings(directory: string, now: () => Date): Promise<ActiveMappings> {
  return compileMappings(directory, await readMappingSources([directory]), now);
}

/** Compiles what `readMappingSources` read; throws MappingLoadError with every diagnostic. */
export function compileMappings(directory: string, read: ReadResult, now: () => Date): ActiveMappings {
  const compiled = compileMappingSet(read.sources);
  const diagnostics = [...read.diagnostics, ...compiled.diagnostics];
  if (hasErrors(diagnostics) || !compiled.plan) throw new MappingLoadError(directory, diagnostics);
  return { plan: compiled.plan, directory, files: compiled.files, hash: mappingsHash(read.sources), loadedAt: now(), sources: read.sources };
}

/** The version hash `/v1/mappings` shows: sha256 over the file names and contents. */
export function mappingsHash(sources: readonly MappingSource[]): string {
  const hash = createHash('sha256');
  for (const s of sources) hash.update(s.file).update('\0').update(s.text).update('\0');
  return hash.digest('hex');
}

export interface RefusedReload {
  readonly at: Date;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Holds the active compiled mapping set. A request reads `current` once, so each message is
 * mapped entirely by the old plan or entirely by the new one: a swap is one reference store.
 */
export class MappingRegistry {
  private version = 1;
  private refused: RefusedReload | null = null;
  private readonly listeners: ((next: ActiveMappings) => void)[] = [];

  constructor(private active: ActiveMappings) {}

  get current(): ActiveMappings {
    return this.active;
  }

  get status() {
    return { version: this.version, active: this.active, lastRefused: this.refused };
  }

  swap(next: ActiveMappings): void {
    this.active = next;
    this.version++;
    this.refused = null;
    for (const listener of this.listeners) listener(next);
  }

  /** Called after every swap: for holders of a plan of their own (the expansion thread). */
  onSwap(listener: (next: ActiveMappings) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  clearRefusal(): void {
    this.refused = null;
  }

  refuse(diagnostics: readonly Diagnostic[], at: Date): void {
    this.refused = { at, diagnostics };
  }
}
