import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { diagnosticLine } from '../engine';
import { Metrics } from '../observability/metrics';
import { ReadResult, readMappingSources } from './mapping-files';
import { MappingLoadError } from './mapping-load.error';
import { MappingTreeWatch } from './mapping-tree-watch';
import { compileMappings, MappingRegistry, mappingsHash } from './mapping.registry';

/**
 * Live reload: on a change in MAPPINGS_DIR (or SIGHUP) the whole set is loaded, validated
 * and compiled, examples included, then swapped in; an invalid set is refused and the last
 * good plan keeps serving. Changes are debounced, so an editor's save in several writes is
 * read once it settles, and a half-written file is only ever a refused reload.
 *
 * Every MAPPINGS_CHECK_MS the files are also read and hashed, and reloaded when they differ
 * from what was last read: a change the file events missed is served within that time, and
 * logged, because it means the watch is blind to something.
 */
@Injectable()
export class MappingWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Mappings');
  private tree: MappingTreeWatch | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private check: NodeJS.Timeout | null = null;
  /** A change was reported and the reload it causes has not read the files yet. */
  private changePending = false;
  /** The hash of the files as last read, whether they were applied or refused. */
  private lastRead = '';
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly onHangup = () => void this.reload('SIGHUP');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly registry: MappingRegistry,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.lastRead = this.registry.current.hash;
    process.on('SIGHUP', this.onHangup);
    if (!this.config.mappingsWatch) return;
    const dir = this.config.mappingsDir;
    this.tree = new MappingTreeWatch(dir, () => this.changed(), (error) => this.logger.error(`watching ${dir} failed: ${error.message}; the periodic check and SIGHUP still reload`));
    try {
      await this.tree.start();
    } catch (error) {
      this.logger.error(`cannot watch ${dir}: ${(error as Error).message}; the periodic check and SIGHUP still reload`);
    }
    this.scheduleCheck();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    process.off('SIGHUP', this.onHangup);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.check) clearTimeout(this.check);
    await this.tree?.close();
    await this.running;
  }

  /** Whether anything reloads by itself: a file watch or the periodic check (off with MAPPINGS_WATCH=false). */
  get watching(): boolean {
    return this.tree !== null || this.check !== null;
  }

  /** Reloads now; concurrent calls run one after another. Resolves true when applied. */
  reload(trigger: string): Promise<boolean> {
    return this.serially(async () => {
      this.changePending = false; // this read sees whatever was reported before it
      const read = await readMappingSources([this.config.mappingsDir]);
      return this.apply(read, trigger);
    });
  }

  private changed(): void {
    if (this.stopped) return;
    this.changePending = true;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload('change'), this.config.mappingsDebounceMs);
  }

  private scheduleCheck(): void {
    if (this.config.mappingsCheckMs === 0 || this.stopped) return;
    this.check = setTimeout(() => void this.checkContent().finally(() => this.scheduleCheck()), this.config.mappingsCheckMs);
  }

  /** The backstop: reloads when the files differ from what was last read and no event said so. */
  private checkContent(): Promise<void> {
    return this.serially(async () => {
      if (this.changePending) return;
      const read = await readMappingSources([this.config.mappingsDir]);
      if (this.changePending || mappingsHash(read.sources) === this.lastRead) return;
      this.logger.warn(`the periodic check found a change in ${this.config.mappingsDir} that no file event reported (a watcher bug: please report it); reloading and watching anew`);
      await this.apply(read, 'periodic check');
      await this.tree?.refresh(true);
    });
  }

  private apply(read: ReadResult, trigger: string): boolean {
    const hash = mappingsHash(read.sources);
    this.lastRead = hash;
    try {
      if (hash === this.registry.current.hash && read.diagnostics.length === 0) {
        this.registry.clearRefusal(); // back to the version that is serving
        this.logger.debug(`mappings unchanged (${trigger}): sha256 ${hash.slice(0, 12)}`);
        return true;
      }
      const loaded = compileMappings(this.config.mappingsDir, read, () => this.clock.now());
      this.registry.swap(loaded);
      this.metrics.mappingReloads.inc({ result: 'applied' });
      this.logger.log(`mappings reloaded (${trigger}): version ${this.registry.status.version}, sha256 ${hash.slice(0, 12)}`);
      return true;
    } catch (error) {
      const diagnostics = error instanceof MappingLoadError ? error.diagnostics : [];
      this.registry.refuse(diagnostics, this.clock.now());
      this.metrics.mappingReloads.inc({ result: 'refused' });
      const lines = diagnostics.map((d) => diagnosticLine(d)).join('\n  ');
      this.logger.error(`mapping reload refused (${trigger}); the previous mappings keep serving:\n  ${lines || (error as Error).message}`);
      return false;
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.running.then(task);
    this.running = next.catch(() => undefined);
    return next;
  }
}
