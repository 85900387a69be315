import { createHash } from 'node:crypto';
import { compileMappingSet, Diagnostic, FileSummary, hasErrors, MappingPlan } from '../engine';
import { MappingLoadError } from './mapping-load.error';
import { readMappingSources } from './mapping-files';

export interface ActiveMappings {
  readonly plan: MappingPlan;
  readonly directory: string;
  readonly files: readonly FileSummary[];
  /** sha256 over the file names and contents, so operators can tell versions apart. */
  readonly hash: string;
  readonly loadedAt: Date;
}

/** Loads and compiles a mapping directory; throws MappingLoadError with every diagnostic. */
export async function loadMappings(directory: string, now: () => Date): Promise<ActiveMappings> {
  const read = await readMappingSources([directory]);
  const compiled = compileMappingSet(read.sources);
  const diagnostics = [...read.diagnostics, ...compiled.diagnostics];
  if (hasErrors(diagnostics) || !compiled.plan) throw new MappingLoadError(directory, diagnostics);
  const hash = createHash('sha256');
  for (const s of read.sources) hash.update(s.file).update('\0').update(s.text).update('\0');
  return { plan: compiled.plan, directory, files: compiled.files, hash: hash.digest('hex'), loadedAt: now() };
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
  }

  clearRefusal(): void {
    this.refused = null;
  }

  refuse(diagnostics: readonly Diagnostic[], at: Date): void {
    this.refused = { at, diagnostics };
  }
}
