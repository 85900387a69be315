import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importSpecifiers, sourceFiles } from '../helpers/imports';

const SRC = join(__dirname, '..', '..', 'src');

/** The SQLite adapter: the store behind the ports, and what only it may use. */
const SQLITE_ADAPTER = new Set([
  'queue/sqlite-queue.adapter',
  'queue/sqlite-leases',
  'queue/sqlite-schema',
  'queue/dead-letters',
  'queue/dry-runs',
  'queue/dropped-messages',
  'queue/inbox-log',
  'queue/inbox-reader',
  'queue/inbox-record',
  'queue/store-lock',
  'queue/sqlite-purge',
  'better-sqlite3',
]);

/**
 * Who may name the adapter, and why: the composition root and the entry points that open a
 * store (the service's boot, the CLI's store beside it), and the expansion thread (a worker
 * that opens its own connection to the same files, or to Redis). Everything else sees ports.
 */
const ALLOWED = new Set([
  'composition.ts', // the one place that builds the adapters
  'main.ts', // prints the store's own boot errors (a DATA_DIR another process owns, a damaged inbox) plainly
  'cli/store-beside.ts', // the CLI's commands open the store beside a running service
  'ingest/expander.worker.ts', // the thread: its own connection beside the owner
  'ingest/expander-messages.ts', // what host and thread tell each other: inbox positions
]);

/** Every module a file names, as a path under src/ without extension, or the package name. */
function modulesOf(file: string): string[] {
  return importSpecifiers(file).map((spec) => (spec.startsWith('.') ? relative(SRC, join(file, '..', spec)) : spec));
}

describe('the queue is seen through its ports', () => {
  const outside = sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => !file.startsWith('queue/') || file.startsWith('queue/ports/'));

  it.each(outside.filter((file) => !ALLOWED.has(file)))('%s names nothing of the SQLite adapter', (file) => {
    expect(modulesOf(join(SRC, file)).filter((spec) => SQLITE_ADAPTER.has(spec))).toEqual([]);
  });

  it('every file allowed to name the adapter still does (an entry without a reason is dropped)', () => {
    for (const file of ALLOWED) expect({ file, names: modulesOf(join(SRC, file)).some((spec) => SQLITE_ADAPTER.has(spec)) }).toEqual({ file, names: true });
  });

  const ports = readdirSync(join(SRC, 'queue', 'ports')).map((name) => `queue/ports/${name}`);
  it.each(ports)('%s imports only other ports and the engine', (file) => {
    expect(modulesOf(join(SRC, file)).filter((spec) => !spec.startsWith('queue/ports/') && spec !== 'engine' && !spec.startsWith('engine/'))).toEqual([]);
  });
});
