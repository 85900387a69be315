import { ChangesOnly, compileChangesOnly } from './changes-only';
import { createCompileContext } from './compile-context';
import { FindingSink, pointerJoin } from './diagnostics';
import { Emitter } from './emit';
import { compileRest } from './expression/rest.directive';
import { compileFieldSet, FieldSet, TraceSink } from './field-set';
import { OUTPUT_KINDS, OutputKind, OutputKindName } from './output-kinds';
import { CompiledPath } from './path';
import { identifiersOf, MapFailure, RunContext, warn } from './run-context';

type BuildOne = (ctx: RunContext) => Record<string, unknown>;

export interface CompiledOutput {
  readonly kind: OutputKindName;
  readonly target: OutputKind;
  /** Request-level options (merge_behavior for /users/identify). */
  readonly requestOptions: Readonly<Record<string, unknown>>;
  /** Outputs with the same key share a request: the endpoint, and for identify its merge_behavior. */
  readonly bucketKey: string;
  /** Attributes outputs: send only what changed (`changes_only`), or null, everything. */
  readonly changesOnly: ChangesOnly | null;
  /** Prefix of a failure message: `rule "name" events: `. */
  readonly context: string;
  /** The interpreter: records each field's sources in `trace`. */
  build(ctx: RunContext, trace: TraceSink): Record<string, unknown>[];
  /** The same objects from generated code (see emit.ts), for the request path. */
  run(ctx: RunContext): Record<string, unknown>[];
}

const IGNORED_TRACE: TraceSink = Object.freeze({ record: () => undefined });

/** Members that decide which Braze user an object updates; `rest` never copies them. */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set(['external_id', 'user_alias', 'braze_id', '_update_existing_only']);

export function compileOutput(kind: OutputKindName, raw: Record<string, unknown>, pointer: string, rule: string, sink: FindingSink): CompiledOutput {
  const target = OUTPUT_KINDS[kind];
  const cc = createCompileContext(sink, raw.each !== undefined);
  const each = typeof raw.each === 'string' ? cc.compilePathAt(raw.each, pointerJoin(pointer, 'each'), false, false) : null;
  const rawFields = raw.fields !== null && typeof raw.fields === 'object' ? (raw.fields as Record<string, unknown>) : {};
  const fields: FieldSet = compileFieldSet(rawFields, pointerJoin(pointer, 'fields'), cc);
  const rest = raw.rest !== undefined ? compileRest(raw.rest, pointerJoin(pointer, 'rest'), cc) : null;
  const requestOptions = kind === 'identify' ? { merge_behavior: typeof raw.merge_behavior === 'string' ? raw.merge_behavior : 'merge' } : {};
  const reserved = target.identified ? IDENTIFIER_KEYS : undefined;
  const changesOnly = kind === 'attributes' ? compileChangesOnly(raw, pointer, { fieldKeys: Object.keys(rawFields), hasRest: rest !== null, identifiers: IDENTIFIER_KEYS }, sink) : null;

  const buildOne = (ctx: RunContext, trace: TraceSink) => {
    // Object.assign, not spread: V8 gives a spread copy a map that every later added key
    // re-allocates (measured ~9 µs for 15 keys against ~0.2 µs), and fields are added next.
    const object: Record<string, unknown> = target.identified ? Object.assign({}, identifiersOf(ctx)) : {};
    fields.fill(ctx, object, trace);
    if (rest) rest.copyInto(ctx, object, true, (key) => trace.record(key, `${rest.path.text}.${key}`), reserved);
    return object;
  };

  // The same steps as buildOne, generated now that every field (and so `rest`'s consumption tree) is compiled.
  const e = new Emitter();
  const written = fields.templatedKeys ? null : fields.keys;
  const body =
    `const object = ${target.identified ? `Object.assign({}, ${e.constant(identifiersOf)}(ctx))` : '{}'};\n` +
    fields.emit(e, 'object', null) +
    (rest ? rest.emitCopy(e, 'object', { written, reserved }, null) : '') +
    'return object;\n';
  let runOne: BuildOne;
  try {
    runOne = e.finish<BuildOne>(body);
  } catch {
    // Nested past what the parser takes (thousands of transforms or `first` candidates): interpreted.
    runOne = (ctx) => buildOne(ctx, IGNORED_TRACE);
  }

  const bucketKey = kind === 'identify' ? `${target.endpoint} ${requestOptions.merge_behavior}` : target.endpoint;
  return Object.freeze({
    kind,
    target,
    requestOptions: Object.freeze(requestOptions),
    bucketKey,
    changesOnly,
    context: `rule "${rule}" ${kind}: `,
    build: (ctx: RunContext, trace: TraceSink) => (each === null ? [buildOne(ctx, trace)] : overItems(ctx, each, kind, (c) => buildOne(c, trace))),
    run: (ctx: RunContext) => (each === null ? [runOne(ctx)] : overItems(ctx, each, kind, runOne)),
  });
}

/** One object per element of the `each` array; an element lacking a required value is skipped. */
function overItems(ctx: RunContext, each: CompiledPath, kind: OutputKindName, buildOne: BuildOne): Record<string, unknown>[] {
  const items = each.get(each.scope === 'item' ? ctx.item : ctx.msg);
  if (!Array.isArray(items) || items.length === 0) {
    warn(ctx, 'EACH_EMPTY', `${each.text} is ${Array.isArray(items) ? 'empty' : 'missing'}: no ${kind} were emitted`);
    return [];
  }
  const objects: Record<string, unknown>[] = [];
  for (let i = 0; i < items.length; i++) {
    ctx.item = items[i];
    ctx.itemLabel = `${each.text}[${i}]`;
    try {
      objects.push(buildOne(ctx));
    } catch (failure) {
      if (!(failure instanceof MapFailure) || failure.code === 'NO_IDENTITY') throw failure;
      warn(ctx, 'ITEM_SKIPPED', `${ctx.itemLabel}: ${failure.message}`);
    }
  }
  ctx.item = undefined;
  ctx.itemLabel = '';
  return objects;
}
