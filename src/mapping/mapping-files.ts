import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { Diagnostic, MappingSource } from '../engine';

const MAPPING_EXTENSIONS = new Set(['.yaml', '.yml']);

export interface ReadResult {
  sources: MappingSource[];
  /** FILE_UNREADABLE for paths that could not be read. */
  diagnostics: Diagnostic[];
}

/**
 * Every *.yaml / *.yml below `dir`. Symlinks are followed: a Kubernetes ConfigMap's files are
 * symlinks into its `..data` directory. Hidden entries are skipped: the ConfigMap's own
 * `..data` and `..<timestamp>` directories (read through the visible symlinks, and during an
 * update holding the old version as well as the new), `.git`, editors' lock files.
 */
async function listYaml(dir: string, ancestors: ReadonlySet<string> = new Set()): Promise<string[]> {
  const real = await realpath(dir);
  if (ancestors.has(real)) return []; // a symlink back up the tree
  const within = new Set(ancestors).add(real);
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = join(dir, e.name);
      // A dangling symlink stays in the list, to be reported as unreadable.
      const target = e.isSymbolicLink() ? await stat(full).catch(() => null) : e;
      if (target?.isDirectory()) return listYaml(full, within);
      return (target === null || target.isFile()) && MAPPING_EXTENSIONS.has(extname(e.name)) ? [full] : [];
    }),
  );
  return nested.flat();
}

function unreadable(file: string, error: unknown): Diagnostic {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return { code: 'FILE_UNREADABLE', severity: 'error', pointer: '', message: `cannot read ${file}: ${reason}`, file, line: 0, col: 0, length: 1 };
}

/**
 * Reads mapping files: each path is a file or a directory searched for *.yaml / *.yml.
 * Directory contents are taken in name order, which is the order rules apply in.
 */
export async function readMappingSources(paths: readonly string[], cwd = process.cwd()): Promise<ReadResult> {
  const sources: MappingSource[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    let files: string[];
    try {
      files = (await stat(path)).isDirectory() ? (await listYaml(path)).sort() : [path];
    } catch (error) {
      diagnostics.push(unreadable(path, error));
      continue;
    }
    for (const file of files) {
      const name = relative(cwd, file) || file;
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        sources.push({ file: name, text: await readFile(file, 'utf8') });
      } catch (error) {
        diagnostics.push(unreadable(name, error));
      }
    }
  }
  return { sources, diagnostics };
}
