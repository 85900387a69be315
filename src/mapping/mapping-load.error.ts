import { Diagnostic, diagnosticLine } from '../engine';

/** The mapping set could not be loaded; carries every diagnostic. */
export class MappingLoadError extends Error {
  constructor(
    readonly directory: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super(`the mappings in ${directory} are invalid:\n${diagnostics.map((d) => '  ' + diagnosticLine(d)).join('\n')}`);
    this.name = 'MappingLoadError';
  }
}
