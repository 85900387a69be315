import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { Diagnostic, MappingSource } from '../engine';

const MAPPING_EXTENSIONS = new Set(['.yaml', '.yml']);

export interface ReadResult {
  sources: MappingSource[];
  /** FILE_UNREADABLE for paths that could not be read. */
  diagnostics: Diagnostic[];
}

async function listYaml(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return listYaml(full);
      return e.isFile() && MAPPING_EXTENSIONS.has(extname(e.name)) ? [full] : [];
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
