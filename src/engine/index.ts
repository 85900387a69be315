/** The mapping engine's public surface. Pure: no Nest, no fs, no network, no clock, no env. */
export { compileMappingSet } from './load/mapping-set';
export type { MappingSource, MappingSetResult, FileSummary, CompileOptions, ExampleOutcome } from './load/mapping-set';
export { mapMessage } from './run';
export type { MapResult, MapOptions, MapTrace, TraceEntry, AttributesTraceEntry } from './run';
export type { ChangesOnly } from './changes-only';
export type { UnmatchedRule } from './condition-trace';
export type { MappingPlan } from './plan';
export type { BrazeRequest } from './requests';
export { OTHER_ENDPOINT_LIMIT, TRACK_COMBINED_LIMIT } from './requests';
export { DIAGNOSTIC_CODES, diagnosticLine, hasErrors } from './diagnostics';
export type { Diagnostic, DiagnosticCode, Severity } from './diagnostics';
export { RUNTIME_ERROR_CODES, RUNTIME_WARNING_CODES } from './run-context';
export type { MapWarning, RuntimeErrorCode, RuntimeWarningCode } from './run-context';
export { MAPPING_SCHEMA } from './schema/mapping-schema';
export { TRANSFORMS, TRANSFORM_NAMES } from './transforms';
export { OPERATOR_NAMES } from './logic/operators';
