import { ChangesOnly } from './changes-only';
import { unmatchedByCondition, unreachedRules, UnmatchedRule } from './condition-trace';
import { MappingPlan } from './plan';
import { BrazeRequest, RequestBucket } from './requests';
import { MapFailure, MapWarning, RunContext, RuntimeErrorCode } from './run-context';

export interface TraceEntry {
  readonly rule: string;
  readonly output: string;
  readonly item?: string;
  readonly field: string;
  readonly source: string;
}

/** How one attributes object is sent: `requests[request].body.attributes[index]`. */
export interface AttributesTraceEntry {
  readonly request: number;
  readonly index: number;
  /** Only what changed, and these keys always; null: every attribute. */
  readonly changesOnly: ChangesOnly | null;
}

export interface MapTrace {
  readonly rules: { name: string; file: string }[];
  /** Every other rule of the set: the condition and what it saw, or why it was not evaluated. */
  readonly unmatched: UnmatchedRule[];
  readonly fields: TraceEntry[];
  /** Present when the message made attributes objects. */
  attributes?: AttributesTraceEntry[];
}

export type MapResult =
  | { ok: true; requests: BrazeRequest[]; warnings: MapWarning[]; trace?: MapTrace }
  | { ok: false; error: { code: RuntimeErrorCode; message: string }; warnings: MapWarning[]; trace?: MapTrace };

export interface MapOptions {
  /** Record which rules matched and which source fed each field (slower; for previews). */
  trace?: boolean;
}

function fail(code: RuntimeErrorCode, message: string, warnings: MapWarning[], trace?: MapTrace): MapResult {
  return trace ? { ok: false, error: { code, message }, warnings, trace } : { ok: false, error: { code, message }, warnings };
}

/**
 * Runs a compiled plan over one Segment message. Never throws for any input. Without a
 * trace, outputs run as generated code; with one, the interpreter records every source.
 */
export function mapMessage(plan: MappingPlan, message: unknown, options?: MapOptions): MapResult {
  const warnings: MapWarning[] = [];
  const trace: MapTrace | undefined = options?.trace ? { rules: [], unmatched: [], fields: [] } : undefined;
  if (message === null || typeof message !== 'object' || Array.isArray(message) || typeof (message as { type?: unknown }).type !== 'string') {
    return fail('INVALID_MESSAGE', 'a message is a JSON object with a string "type"', warnings, trace);
  }
  const type = (message as { type: string }).type;
  const ctx: RunContext = { msg: message, item: undefined, itemLabel: '', warnings, sources: null, identify: plan.identify, identifiers: undefined };
  // A message fills one to three buckets: a short list beats a Map here.
  const buckets: RequestBucket[] = [];
  let matched = 0;
  let context = '';
  try {
    const rules = plan.rulesFor(type);
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r];
      if (rule.when !== null && !rule.when(message)) {
        trace?.unmatched.push(unmatchedByCondition(rule, message));
        continue;
      }
      matched++;
      trace?.rules.push({ name: rule.name, file: rule.file });
      for (let o = 0; o < rule.outputs.length; o++) {
        const output = rule.outputs[o];
        context = output.context;
        const objects = trace
          ? output.build(ctx, { record: (field, source) => trace.fields.push({ rule: rule.name, output: output.kind, ...(ctx.itemLabel ? { item: ctx.itemLabel } : {}), field, source }) })
          : output.run(ctx);
        let bucket: RequestBucket | undefined;
        for (let i = 0; i < buckets.length; i++) if (buckets[i].key === output.bucketKey) bucket = buckets[i];
        if (bucket === undefined) buckets.push((bucket = new RequestBucket(output.bucketKey, output.target.endpoint, output.requestOptions)));
        bucket.add(output.target.array, objects, output.changesOnly);
      }
      if (rule.stop) break;
    }
  } catch (failure) {
    if (failure instanceof MapFailure) {
      if (trace) traceUnreached(plan, type, trace);
      return fail(failure.code, (failure.code === 'NO_IDENTITY' ? '' : context) + failure.message, warnings, trace);
    }
    throw failure;
  }
  if (trace) traceUnreached(plan, type, trace);
  if (matched === 0) return fail('NO_MATCHING_RULE', `no rule applies to this ${type} message`, warnings, trace);
  const requests: BrazeRequest[] = [];
  for (let i = 0; i < buckets.length; i++) buckets[i].toRequests(requests);
  if (trace) traceAttributes(requests, trace);
  return trace ? { ok: true, requests, warnings, trace } : { ok: true, requests, warnings };
}

function traceUnreached(plan: MappingPlan, type: string, trace: MapTrace): void {
  const evaluated = new Set([...trace.rules, ...trace.unmatched].map((r) => r.name));
  trace.unmatched.push(...unreachedRules(plan, type, evaluated));
}

function traceAttributes(requests: readonly BrazeRequest[], trace: MapTrace): void {
  const entries: AttributesTraceEntry[] = [];
  requests.forEach((request, r) => {
    const objects = request.body.attributes;
    if (!Array.isArray(objects)) return;
    for (let i = 0; i < objects.length; i++) entries.push({ request: r, index: i, changesOnly: request.changesOnly?.[i] ?? null });
  });
  if (entries.length > 0) trace.attributes = entries;
}
