import { join, relative, sep } from 'node:path';
import { importSpecifiers, sourceFiles } from './helpers/imports';

// The seams between layers, as imports. The engine's own rules are in test/engine/purity.test.ts.
const SRC = join(__dirname, '..', 'src');

/** The layer of a path under src/: its folder, or the file's name for the top-level ones (main, app.module, composition, …). */
const layerOf = (path: string) => relative(SRC, path).split(sep)[0].replace(/\.ts$/, '');

/** Layer → the layers its files import. */
function layerImports(): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const seen = imports.get(from) ?? new Set<string>();
    for (const spec of importSpecifiers(file).filter((s) => s.startsWith('.'))) {
      const to = layerOf(join(file, '..', spec));
      if (to !== from) seen.add(to);
    }
    imports.set(from, seen);
  }
  return imports;
}

const FORBIDDEN: [from: string, to: string, why: string][] = [
  ['delivery', 'ingest', 'the expansion is hosted on the ingest side and wakes delivery through NewWorkSignal'],
  ['ingest', 'delivery', 'the expansion knows delivery only as NewWorkSignal, wired by the composition root'],
  ['mapping', 'cli', "a diagnostic's one-line form is the engine's (diagnosticLine)"],
  ['delivery', 'cli', 'the CLI is an entry point, not a library'],
  ['ingest', 'cli', 'the CLI is an entry point, not a library'],
  ['http', 'cli', 'the CLI is an entry point, not a library'],
  ['queue', 'delivery', 'storage serves delivery, not the other way round'],
  ['queue', 'ingest', 'storage serves ingestion, not the other way round'],
  ['playground', 'cli', 'the CLI is an entry point, not a library'],
  ['playground', 'http', 'the playground is plain node:http, mounted by the service and the CLI alike'],
  ['delivery', 'playground', 'the playground reuses delivery, not the other way round'],
  ['ingest', 'playground', 'the playground reuses ingestion, not the other way round'],
  ['queue', 'playground', 'the playground stores nothing'],
  ['engine', 'playground', 'the engine knows no caller'],
];

describe('the layers import only what they need', () => {
  const imports = layerImports();

  it('finds the layers', () => {
    expect([...imports.keys()]).toEqual(expect.arrayContaining(['delivery', 'ingest', 'mapping', 'http', 'cli', 'queue', 'engine', 'playground']));
  });

  it.each(FORBIDDEN)('%s imports nothing of %s (%s)', (from, to) => {
    expect([...(imports.get(from) ?? [])]).not.toContain(to);
  });
});
