import type { Identifiers, IdentityResolver } from './identity';

/** What a compiled plan needs while it maps one message. */
export interface MapWarning {
  code: RuntimeWarningCode;
  message: string;
}

export const RUNTIME_WARNING_CODES = {
  EACH_EMPTY: 'the array an output iterates over is missing or empty, so it emitted nothing',
  ITEM_SKIPPED: 'one element of an `each` output lacked a required value and was left out',
  TRANSFORM_FAILED: 'a value could not be transformed and was left out (or replaced by its default)',
  REST_KEY_SKIPPED: 'a key copied by `rest` was left out because Braze forbids it or a named field owns it',
} as const;
export type RuntimeWarningCode = keyof typeof RUNTIME_WARNING_CODES;

export const RUNTIME_ERROR_CODES = {
  INVALID_MESSAGE: 'the message is not a JSON object with a string `type`',
  NO_MATCHING_RULE: 'no rule of the mapping applies to the message',
  NO_IDENTITY: 'the message names no user: no userId and no anonymousId',
  REQUIRED_VALUE_MISSING: 'a field marked `required` has no usable value',
  TEMPLATE_KEY_UNRESOLVED: 'a templated key refers to a value the message lacks',
  INVALID_JSON: 'an input line is not valid JSON (CLI and HTTP only)',
} as const;
export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** Thrown inside a plan run only, caught by the runner and turned into a result value. */
export class MapFailure {
  constructor(
    readonly code: RuntimeErrorCode,
    readonly message: string,
  ) {}
}

export interface TraceField {
  output: string;
  field: string;
  source: string;
}

export interface RunContext {
  readonly msg: unknown;
  item: unknown;
  /** Where the current item sits, for messages: `properties.products[2]`. */
  itemLabel: string;
  warnings: MapWarning[];
  /** Sources read for the field being built; null unless tracing. */
  sources: string[] | null;
  /** The plan's identity settings, and what they answered once the first output asked. */
  readonly identify: IdentityResolver;
  identifiers: Identifiers | undefined;
}

/** The message's user identifiers, resolved at most once per message. */
export function identifiersOf(ctx: RunContext): Identifiers {
  return (ctx.identifiers ??= ctx.identify(ctx));
}

export function warn(ctx: RunContext, code: RuntimeWarningCode, message: string): void {
  ctx.warnings.push({ code, message });
}
