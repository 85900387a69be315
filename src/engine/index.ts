/** The mapping engine's public surface. Pure: no Nest, no fs, no network, no clock, no env. */
export { compileMappingSet, MappingSource, MappingSetResult, FileSummary, CompileOptions } from './load/mapping-set';
export { mapMessage, MapResult, MapOptions, MapTrace, TraceEntry } from './run';
export { MappingPlan } from './plan';
export { BrazeRequest } from './requests';
export { Diagnostic, DiagnosticCode, DIAGNOSTIC_CODES, Severity, hasErrors } from './diagnostics';
export { MapWarning, RUNTIME_ERROR_CODES, RUNTIME_WARNING_CODES, RuntimeErrorCode, RuntimeWarningCode } from './run-context';
export { MAPPING_SCHEMA } from './schema/mapping-schema';
export { TRANSFORMS, TRANSFORM_NAMES } from './transforms';
export { OPERATOR_NAMES } from './logic/operators';
