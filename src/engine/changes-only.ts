import { FindingSink, pointerJoin } from './diagnostics';
import { didYouMean } from './suggest';
import { parseTemplate } from './template';

/**
 * How an attributes object is sent: only the attributes that changed since Braze last
 * accepted them, except `alwaysSent`, which go every time. Null (the language default) sends
 * every attribute and leaves the memory of what Braze accepted out of it.
 */
export interface ChangesOnly {
  readonly alwaysSent: readonly string[];
}

/** What an attributes output may write, as far as compiling it can tell. */
export interface WrittenKeys {
  /** The literal keys of `fields`, and the templated ones (`ab_segment_group_{{groupId}}`). */
  readonly fieldKeys: readonly string[];
  /** Whether `rest` copies members of the message: then any key may be written. */
  readonly hasRest: boolean;
  /** Keys every object carries and delivery never drops (identifiers, flags). */
  readonly identifiers: ReadonlySet<string>;
}

/**
 * Compiles `changes_only` and `always_send` of an attributes output. The schema has already
 * reported wrong types; a key that can have no effect is a warning, since the output still
 * maps as written.
 */
export function compileChangesOnly(raw: Record<string, unknown>, pointer: string, written: WrittenKeys, sink: FindingSink): ChangesOnly | null {
  const on = raw.changes_only === true;
  const listed = Array.isArray(raw.always_send) ? raw.always_send : [];
  if (!on) {
    if (listed.length > 0) {
      sink.warning('ALWAYS_SEND_IGNORED', pointerJoin(pointer, 'always_send'), 'always_send has no effect without "changes_only: true": every attribute is sent each time', true);
    }
    return null;
  }
  const alwaysSent: string[] = [];
  listed.forEach((key, i) => {
    if (typeof key !== 'string' || key === '' || alwaysSent.includes(key)) return; // the schema says why
    const at = pointerJoin(pointer, 'always_send', i);
    if (written.identifiers.has(key)) {
      sink.warning('ALWAYS_SEND_IGNORED', at, `"${key}" identifies the user and is sent with every object anyway`);
    } else if (!written.hasRest && !written.fieldKeys.some((field) => keyMatches(field, key))) {
      const literalKeys = written.fieldKeys.filter((field) => !field.includes('{{'));
      sink.warning('ALWAYS_SEND_NEVER_WRITTEN', at, `this output never writes "${key}"${didYouMean(key, literalKeys)}; it writes: ${written.fieldKeys.join(', ') || 'nothing but identifiers'}`);
    }
    alwaysSent.push(key);
  });
  return Object.freeze({ alwaysSent: Object.freeze(alwaysSent) });
}

/** Whether a field key (literal, or a template whose placeholders render to any text) can be `key`. */
function keyMatches(field: string, key: string): boolean {
  if (!field.includes('{{')) return field === key;
  const parsed = parseTemplate(field);
  if (!parsed.ok) return false;
  const escaped = parsed.template.literals.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.+')}$`, 's').test(key);
}
