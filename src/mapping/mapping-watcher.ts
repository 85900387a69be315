import { FSWatcher, watch } from 'node:fs';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { diagnosticLine } from '../cli/diagnostic-format';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, CLOCK } from '../clock';
import { Metrics } from '../observability/metrics';
import { MappingLoadError } from './mapping-load.error';
import { loadMappings, MappingRegistry } from './mapping.registry';

/**
 * Live reload: on a change in MAPPINGS_DIR (or SIGHUP) the whole set is loaded, validated
 * and compiled, examples included, then swapped in; an invalid set is refused and the last
 * good plan keeps serving. Changes are debounced, so an editor's save in several writes is
 * read once it settles, and a half-written file is only ever a refused reload.
 */
@Injectable()
export class MappingWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Mappings');
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly onHangup = () => void this.reload('SIGHUP');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly registry: MappingRegistry,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    process.on('SIGHUP', this.onHangup);
    if (!this.config.mappingsWatch) return;
    try {
      this.watcher = watch(this.config.mappingsDir, { recursive: true }, () => this.schedule());
      this.watcher.on('error', (error) => this.logger.error(`watching ${this.config.mappingsDir} failed: ${error.message}; SIGHUP still reloads`));
    } catch (error) {
      this.logger.error(`cannot watch ${this.config.mappingsDir}: ${(error as Error).message}; SIGHUP still reloads`);
    }
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onHangup);
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload('change'), this.config.mappingsDebounceMs);
  }

  /** Reloads now; concurrent calls run one after another. Resolves true when applied. */
  reload(trigger: string): Promise<boolean> {
    const next = this.running.then(() => this.load(trigger));
    this.running = next.then(() => undefined);
    return next;
  }

  private async load(trigger: string): Promise<boolean> {
    try {
      const loaded = await loadMappings(this.config.mappingsDir, () => this.clock.now());
      if (loaded.hash === this.registry.current.hash) {
        this.registry.clearRefusal(); // back to the version that is serving
        return true;
      }
      this.registry.swap(loaded);
      this.metrics.mappingReloads.inc({ result: 'applied' });
      this.logger.log(`mappings reloaded (${trigger}): version ${this.registry.status.version}, sha256 ${loaded.hash.slice(0, 12)}`);
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
}
