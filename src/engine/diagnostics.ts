/**
 * Diagnostics are values: every problem found in a mapping set is collected with a code
 * from this closed list, a JSON pointer and (once located) a file position.
 */
export const DIAGNOSTIC_CODES = {
  YAML_SYNTAX: 'the file is not valid YAML',
  DUPLICATE_KEY: 'a key appears twice in the same YAML mapping',
  UNSUPPORTED_VERSION: 'the file declares a mapping language version this build does not know',
  UNKNOWN_KEY: 'a key the mapping language does not define',
  MISSING_KEY: 'a required key is absent',
  WRONG_TYPE: 'a value has the wrong JSON type',
  INVALID_VALUE: 'a value is outside what the schema allows',
  UNKNOWN_TRANSFORM: 'a transform name outside the closed set',
  UNKNOWN_OPERATOR: 'a json-logic operator outside the allow-list',
  INVALID_CONDITION: 'a json-logic expression of the wrong shape or arity',
  MALFORMED_PATH: 'a source path that cannot be parsed',
  MALFORMED_TEMPLATE: 'a template with unbalanced or empty {{ }}',
  EXPRESSION_SOURCE: 'a value expression with no source, or with more than one',
  ITEM_OUTSIDE_EACH: '$item used outside an output with `each`',
  RULE_WITHOUT_OUTPUT: 'a rule that emits nothing',
  DUPLICATE_RULE_NAME: 'two rules in the set share a name',
  DUPLICATE_IDENTITY: 'more than one file of the set declares `identity`',
  NO_RULES: 'the mapping set has no rules',
  NO_MAPPING_FILES: 'no .yaml/.yml file was found',
  FILE_UNREADABLE: 'a mapping file could not be read',
  EXAMPLE_FAILED: 'an example produced something other than what it expects',
  ALWAYS_SEND_NEVER_WRITTEN: 'an `always_send` key that its attributes output never writes (a warning)',
  ALWAYS_SEND_IGNORED: 'an `always_send` that has no effect: without `changes_only: true`, or naming an identifier (a warning)',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
export type Severity = 'error' | 'warning';

/** A problem before it is placed in a file: the compiler only knows JSON pointers. */
export interface Finding {
  code: DiagnosticCode;
  severity: Severity;
  pointer: string;
  message: string;
  /** Point at the key of the member named by `pointer` rather than at its value. */
  atKey?: boolean;
}

export interface Diagnostic extends Finding {
  file: string;
  line: number;
  col: number;
  /** Length of the offending source text, for code frames (at least 1). */
  length: number;
}

/** Where a diagnostic points: `file:line:col`, the file alone when it has no position. */
function location(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file || '<mappings>';
}

/** The one-line form, for logs, boot errors and the CLI: `mappings/braze.yaml:14:9 error UNKNOWN_OPERATOR /rules/2/when: message` */
export function diagnosticLine(d: Diagnostic): string {
  return `${location(d)} ${d.severity} ${d.code} ${d.pointer || '/'} ${d.message}`;
}

export function hasErrors(diagnostics: readonly Pick<Finding, 'severity'>[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** JSON pointer helpers (RFC 6901). */
export function pointerJoin(base: string, ...segments: (string | number)[]): string {
  let out = base;
  for (const s of segments) out += '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1');
  return out;
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Collects findings while a file is compiled. */
export class FindingSink {
  readonly findings: Finding[] = [];

  error(code: DiagnosticCode, pointer: string, message: string, atKey = false): void {
    this.findings.push({ code, severity: 'error', pointer, message, atKey });
  }

  warning(code: DiagnosticCode, pointer: string, message: string, atKey = false): void {
    this.findings.push({ code, severity: 'warning', pointer, message, atKey });
  }
}
