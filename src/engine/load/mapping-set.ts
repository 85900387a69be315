import { Diagnostic, Finding, FindingSink, hasErrors } from '../diagnostics';
import { compileIdentity, DEFAULT_IDENTITY } from '../identity';
import { createPlan, MappingPlan } from '../plan';
import { CompiledRule } from '../rule';
import { compileFile, CompiledFile } from './compile-file';
import { checkExample } from './examples';
import { schemaFindings } from './schema-findings';
import { YamlSource } from './source-map';

export interface MappingSource {
  /** How diagnostics name the file (a path relative to where the user works). */
  readonly file: string;
  readonly text: string;
}

export interface FileSummary {
  readonly file: string;
  readonly rules: number;
  readonly examples: number;
}

export interface MappingSetResult {
  /** Null when any error was found (but a failing example when `examplesGateThePlan` is false): an invalid set never serves. */
  readonly plan: MappingPlan | null;
  readonly diagnostics: Diagnostic[];
  readonly files: FileSummary[];
  /** Every example that ran, passed or not, in file order (empty when they did not run). */
  readonly examples: ExampleOutcome[];
}

/** One example's verdict; `failure` is the EXAMPLE_FAILED diagnostic, with the first pointer where output and expectation part. */
export interface ExampleOutcome {
  readonly file: string;
  readonly name: string;
  /** Where the example sits in its file: /examples/N. */
  readonly pointer: string;
  readonly line: number;
  readonly failure: Diagnostic | null;
}

export interface CompileOptions {
  /** Run every file's examples against the compiled set (default true). */
  readonly runExamples?: boolean;
  /**
   * A failing example makes the set invalid (default true). The playground turns it off: the
   * mapping being edited keeps serving while its examples are out of date, and says so.
   */
  readonly examplesGateThePlan?: boolean;
}

interface LoadedFile {
  source: YamlSource;
  compiled: CompiledFile;
}

function place(source: YamlSource, finding: Finding): Diagnostic {
  return { ...finding, file: source.file, ...source.locate(finding.pointer, finding.atKey) };
}

/**
 * Loads, validates and compiles a set of mapping files into one frozen plan. Files are taken
 * in the order given (callers sort by name); all problems of all files are reported at once.
 */
export function compileMappingSet(sources: readonly MappingSource[], options: CompileOptions = {}): MappingSetResult {
  const diagnostics: Diagnostic[] = [];
  if (sources.length === 0) {
    diagnostics.push({ code: 'NO_MAPPING_FILES', severity: 'error', pointer: '', message: 'no mapping files (.yaml, .yml) were found', file: '', line: 0, col: 0, length: 1 });
    return { plan: null, diagnostics, files: [], examples: [] };
  }
  const loaded: LoadedFile[] = [];
  for (const { file, text } of sources) {
    const source = new YamlSource(file, text);
    const syntax = source.syntaxFindings();
    diagnostics.push(...syntax.map((f) => ({ ...f, file })));
    if (hasErrors(syntax)) continue;
    let document: unknown;
    try {
      document = source.document.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      // Excessive alias expansion (a "billion laughs" file) and the like.
      diagnostics.push({ code: 'YAML_SYNTAX', severity: 'error', pointer: '', message: (error as Error).message, file, line: 1, col: 1, length: 1 });
      continue;
    }
    const sink = new FindingSink();
    sink.findings.push(...schemaFindings(document));
    const compiled = compileFile(document, file, sink);
    diagnostics.push(...sink.findings.map((f) => place(source, f)));
    loaded.push({ source, compiled });
  }

  const rules: CompiledRule[] = [];
  const ruleNames = new Map<string, string>();
  let identityOwner: LoadedFile | undefined;
  for (const entry of loaded) {
    entry.compiled.rules.forEach((rule, i) => {
      const first = ruleNames.get(rule.name);
      if (first !== undefined) {
        diagnostics.push(place(entry.source, { code: 'DUPLICATE_RULE_NAME', severity: 'error', pointer: entry.compiled.rulePointers[i], message: `rule "${rule.name}" is already defined in ${first}` }));
      } else ruleNames.set(rule.name, entry.source.file);
      rules.push(rule);
    });
    if (entry.compiled.identity) {
      if (identityOwner) {
        diagnostics.push(place(entry.source, { code: 'DUPLICATE_IDENTITY', severity: 'error', pointer: '/identity', atKey: true, message: `identity is already declared in ${identityOwner.source.file}` }));
      } else identityOwner = entry;
    }
  }
  if (loaded.length === sources.length && rules.length === 0) {
    const first = loaded[0].source;
    diagnostics.push(place(first, { code: 'NO_RULES', severity: 'error', pointer: '', message: 'the mapping set defines no rules, so no message could be mapped' }));
  }

  const identitySink = new FindingSink();
  const identify = compileIdentity(identityOwner?.compiled.identity ?? DEFAULT_IDENTITY, '/identity', identitySink);
  if (identityOwner) diagnostics.push(...identitySink.findings.map((f) => place(identityOwner!.source, f)));

  const files = loaded.map(({ source, compiled }) => ({ file: source.file, rules: compiled.rules.length, examples: compiled.examples.length }));
  if (hasErrors(diagnostics)) return { plan: null, diagnostics: sortDiagnostics(diagnostics), files, examples: [] };

  const plan: MappingPlan = createPlan(rules, identify);
  const examples: ExampleOutcome[] = [];
  if (options.runExamples !== false) {
    for (const { source, compiled } of loaded) {
      for (const { example, pointer } of compiled.examples) {
        const finding = checkExample(plan, example, pointer);
        const failure = finding ? place(source, finding) : null;
        if (failure) diagnostics.push(failure);
        examples.push({ file: source.file, name: example.name, pointer, line: source.locate(pointer, false).line, failure });
      }
    }
  }
  const gated = options.examplesGateThePlan !== false && hasErrors(diagnostics);
  return { plan: gated ? null : plan, diagnostics: sortDiagnostics(diagnostics), files, examples };
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}
