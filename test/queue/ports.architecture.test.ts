import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');
/** The SQLite adapter's modules: only composition (app.module, main, the CLI's store-beside) and the expansion hosts may name them. */
const SQLITE_ADAPTER = ['queue/sqlite-queue.adapter', 'queue/sqlite-leases', 'queue/sqlite-schema', 'queue/dead-letters', 'queue/dry-runs', 'queue/inbox-log', 'queue/inbox-reader', 'queue/store-lock'];
/** What works on the queue through its ports alone. */
const PORT_USERS = ['delivery/delivery.worker.ts', 'delivery/lease-keeper.ts', 'delivery/pack.ts', 'delivery/dry-run.sender.ts', 'http/health.controller.ts', 'observability/metrics.ts', 'cli/dead-letters.command.ts', 'cli/dry-run.command.ts', 'ingest/inbox-expander.ts', 'ingest/ingest.service.ts'];

/** Every module a file imports, as a path under src/ without extension, or the package name. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map(([, spec]) => (spec.startsWith('.') ? relative(SRC, join(SRC, file, '..', spec)) : spec));
}

describe('the queue is seen through its ports', () => {
  it.each(PORT_USERS)('%s imports nothing of the SQLite adapter', (file) => {
    expect(importsOf(file).filter((spec) => SQLITE_ADAPTER.includes(spec) || spec === 'better-sqlite3')).toEqual([]);
  });

  const ports = readdirSync(join(SRC, 'queue', 'ports')).map((name) => `queue/ports/${name}`);
  it.each(ports)('%s imports only other ports and the engine', (file) => {
    expect(importsOf(file).filter((spec) => !spec.startsWith('queue/ports/') && spec !== 'engine')).toEqual([]);
  });
});
