import { compileMappingSet, hasErrors } from '../engine';
import { readMappingSources } from '../mapping/mapping-files';
import { Format, formatDiagnostics } from './diagnostic-format';
import { CliIo } from './io';

/** Exit 0 when the set is clean (warnings allowed), 1 on any error. */
export async function validateCommand(paths: string[], format: Format, io: CliIo): Promise<number> {
  const read = await readMappingSources(paths.length > 0 ? paths : ['mappings'], io.cwd);
  const result = read.sources.length > 0 || read.diagnostics.length === 0 ? compileMappingSet(read.sources) : { diagnostics: [], files: [], plan: null };
  const diagnostics = [...read.diagnostics, ...result.diagnostics];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const summary = {
    files: result.files.length,
    rules: result.files.reduce((n, f) => n + f.rules, 0),
    examples: result.files.reduce((n, f) => n + f.examples, 0),
    errors,
    warnings: diagnostics.length - errors,
  };
  const texts = new Map(read.sources.map((s) => [s.file, s.text]));
  io.stdout(formatDiagnostics(diagnostics, format, texts, summary));
  if (format === 'text') {
    const verdict = errors > 0 ? 'invalid' : 'valid';
    io.stdout(`${verdict}: ${summary.files} file(s), ${summary.rules} rule(s), ${summary.examples} example(s); ${errors} error(s), ${summary.warnings} warning(s)\n`);
  }
  return hasErrors(diagnostics) ? 1 : 0;
}
