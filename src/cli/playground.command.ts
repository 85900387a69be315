import { once } from 'node:events';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { TRACK_COMBINED_LIMIT } from '../engine';
import { trackLimits } from '../delivery/pack';
import { readMappingSources } from '../mapping/mapping-files';
import { mountPlayground, playgroundHandler } from '../playground/playground-http';
import { PlaygroundRunner } from '../playground/playground-runner';
import { PLAYGROUND_TIMEOUT_MS } from '../playground/playground-limits';
import { CliIo } from './io';

export interface PlaygroundCommandOptions {
  mappings: string;
  port: number;
  /** Resolves when the command should stop (SIGINT/SIGTERM in the real process). */
  stop: Promise<unknown>;
}

/**
 * Serves the playground on loopback until stopped: no queue, no Braze, nothing stored. The
 * mapping set is read from disk each time the page opens; edits are never written back.
 */
export async function playgroundCommand(options: PlaygroundCommandOptions, io: CliIo): Promise<number> {
  const first = await readMappingSources([options.mappings], io.cwd);
  if (first.sources.length === 0) {
    io.stderr(`playground: no mapping files in ${options.mappings}${first.diagnostics[0] ? ` (${first.diagnostics[0].message})` : ''}\n`);
    return 1;
  }
  // Delivery's default batch shape: the requests look as a service left at its defaults would send them.
  const runner = new PlaygroundRunner(trackLimits('combined', TRACK_COMBINED_LIMIT), PLAYGROUND_TIMEOUT_MS);
  const serve = mountPlayground(playgroundHandler({ sources: async () => (await readMappingSources([options.mappings], io.cwd)).sources, runner }));
  const server = createServer((req, res) => {
    if (serve(req, res)) return;
    if (req.url === '/') {
      res.writeHead(302, { Location: '/playground/' }).end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ statusCode: 404, code: 'NOT_FOUND', message: 'the playground is at /playground/' }));
  });
  server.listen(options.port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    io.stderr(`playground: cannot listen on 127.0.0.1:${options.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  const { port } = server.address() as AddressInfo;
  io.stdout(`playground: http://127.0.0.1:${port}/playground/ (mappings from ${options.mappings}, read when the page opens; nothing is written; Ctrl-C stops)\n`);
  await options.stop;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await runner.close();
  return 0;
}
