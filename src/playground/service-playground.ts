import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { trackLimits } from '../delivery/pack';
import { MappingRegistry } from '../mapping/mapping.registry';
import { mountPlayground, playgroundHandler } from './playground-http';
import { PLAYGROUND_TIMEOUT_MS } from './playground-limits';
import { ChangesOnlyPreview } from './playground-run';
import { PlaygroundRunner } from './playground-runner';

/**
 * The playground as the service serves it (PLAYGROUND=true): the mapping set it is serving
 * now, its own batch shape, ADMIN_TOKEN when set, the attribute memory's preview when it has one. The runner's thread is unref'd: it never
 * holds a shutdown.
 */
export function servicePlayground(config: AppConfig, mappings: MappingRegistry, changesOnly?: ChangesOnlyPreview): (req: IncomingMessage, res: ServerResponse) => boolean {
  const runner = new PlaygroundRunner(trackLimits(config.delivery.trackBatchShape, config.delivery.trackBatchSize), PLAYGROUND_TIMEOUT_MS);
  return mountPlayground(playgroundHandler({ sources: () => mappings.current.sources, token: config.adminToken, runner, changesOnly }));
}
