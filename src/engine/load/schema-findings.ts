import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { Finding, pointerJoin } from '../diagnostics';
import { MAPPING_SCHEMA } from '../schema/mapping-schema';
import { didYouMean } from '../suggest';
import { TRANSFORM_NAMES } from '../transforms';

/** Compiled once per process: ajv turns the schema into a validation function. */
let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  return (validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(MAPPING_SCHEMA));
}

/** Keys of attributes outputs that another output may be given by mistake. */
const ATTRIBUTES_ONLY: ReadonlySet<string> = new Set(['changes_only', 'always_send']);

function knownKeys(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function toFinding(error: ErrorObject): Finding | null {
  const at = error.instancePath;
  switch (error.keyword) {
    case 'if':
      return null; // the branch that failed reports the precise problem
    case 'anyOf': // only `transform` uses anyOf: a name or a list of names
      return { code: 'WRONG_TYPE', severity: 'error', pointer: at, message: 'must be a transform name or a list of transform names' };
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const onlyAttributes = ATTRIBUTES_ONLY.has(key) && /^\/rules\/\d+\/[a-z]+$/.test(at) ? ': only attributes outputs have it (events and purchases are facts: each is sent)' : '';
      return { code: 'UNKNOWN_KEY', severity: 'error', pointer: pointerJoin(at, key), atKey: true, message: `unknown key "${key}"${onlyAttributes || didYouMean(key, knownKeys(error))}` };
    }
    case 'uniqueItems':
      return { code: 'INVALID_VALUE', severity: 'error', pointer: at, message: `${JSON.stringify((error.data as unknown[])[error.params.i as number])} is listed twice` };
    case 'required':
      return { code: 'MISSING_KEY', severity: 'error', pointer: at, message: `missing required key "${error.params.missingProperty}"` };
    case 'type':
      if ((error.parentSchema as { title?: string } | undefined)?.title === 'Value expression') {
        return { code: 'WRONG_TYPE', severity: 'error', pointer: at, message: 'must be a path (a string) or a value expression (an object)' };
      }
      if (/\/transform(\/\d+)?$/.test(at) && !/\/\d+$/.test(at)) return null; // reported once by anyOf
      return { code: 'WRONG_TYPE', severity: 'error', pointer: at, message: `must be ${error.params.type}` };
    case 'const':
      if (at === '/version') return { code: 'UNSUPPORTED_VERSION', severity: 'error', pointer: at, message: 'only version 1 of the mapping language exists' };
      return { code: 'INVALID_VALUE', severity: 'error', pointer: at, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    case 'enum':
      if (/\/transform(\/\d+)?$/.test(at)) {
        if (typeof error.data !== 'string') return null; // not a name at all: the type error says so
        const name = error.data;
        return { code: 'UNKNOWN_TRANSFORM', severity: 'error', pointer: at, message: `unknown transform "${name}"${didYouMean(name, TRANSFORM_NAMES)}; known: ${TRANSFORM_NAMES.join(', ')}` };
      }
      return { code: 'INVALID_VALUE', severity: 'error', pointer: at, message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { code: 'INVALID_VALUE', severity: 'error', pointer: at, message: error.message ?? error.keyword };
  }
}

/** Every schema violation of a document, one finding per place and code. */
export function schemaFindings(document: unknown): Finding[] {
  const check = validate();
  if (check(document)) return [];
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const error of check.errors ?? []) {
    const finding = toFinding(error);
    if (!finding) continue;
    const id = `${finding.code} ${finding.pointer}`;
    if (seen.has(id)) continue;
    seen.add(id);
    findings.push(finding);
  }
  // A misspelt name inside `transform` also fails the anyOf around it: keep the precise finding.
  return findings.filter(
    (f) => !(f.code === 'WRONG_TYPE' && f.message.startsWith('must be a transform name') && findings.some((o) => o !== f && (o.pointer === f.pointer || o.pointer.startsWith(f.pointer + '/')))),
  );
}
