import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { MappingRegistry } from '../mapping/mapping.registry';
import { MappingWatcher } from '../mapping/mapping-watcher';
import { Metrics } from '../observability/metrics';

@ApiTags('operations')
@Controller()
export class OperationsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly mappings: MappingRegistry,
    private readonly watcher: MappingWatcher,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics, prefixed segment_braze_' })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  @Get('v1/mappings')
  @ApiOperation({ summary: 'The active mapping set, whether it reloads by itself, and the last refused reload with its diagnostics' })
  active() {
    const { version, active, lastRefused } = this.mappings.status;
    return {
      version,
      directory: active.directory,
      hash: active.hash,
      loadedAt: active.loadedAt.toISOString(),
      files: active.files,
      watching: this.watcher.watching,
      lastRefused: lastRefused && { at: lastRefused.at.toISOString(), diagnostics: lastRefused.diagnostics.map(({ atKey: _k, ...d }) => d) },
    };
  }
}
