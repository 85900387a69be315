/** The output pane, drawn from the run's answer: plain DOM, text only (never HTML from the answer). */

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  pointer: string;
  message: string;
  file: string;
  line: number;
  col: number;
  length: number;
}

interface Warning {
  code: string;
  message: string;
}

interface Trace {
  rules: { name: string; file: string }[];
  unmatched: { name: string; reason: string; condition?: unknown; saw?: Record<string, unknown> }[];
  fields: { rule: string; output: string; item?: string; field: string; source: string }[];
}

export interface Answer {
  error?: Warning;
  diagnostics: Diagnostic[];
  examples: { file: string; name: string; pointer: string; line: number; failure: Diagnostic | null }[];
  inputError?: Warning & { line: number };
  messages: { index: number; messageId: unknown; requests?: unknown[]; error?: Warning; warnings: Warning[]; trace?: Trace }[];
  requests: { endpoint: string; body: unknown }[];
  changesOnly: { available: false; note: string } | { available: true; messages: { index: number; changes: { position: number; user: string; send: unknown; leftOut: { key: string; reason: string }[] }[] }[] };
  timings: { compileMs: number; mapMs: number };
}

function el(tag: string, className?: string, text?: string, children: Node[] = []): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const child of children) node.append(child);
  return node;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

function section(title: string, id: string, children: Node[]): HTMLElement {
  return el('section', `out ${id}`, undefined, [el('h2', undefined, title), ...children]);
}

function codeLine(item: Warning, severity: string): HTMLElement {
  return el('li', severity, undefined, [el('code', 'code', item.code), document.createTextNode(` ${item.message}`)]);
}

function traceOf(message: Answer['messages'][number]): HTMLElement {
  const trace = message.trace;
  const parts: Node[] = [];
  if (!trace) return el('div');
  parts.push(el('h3', undefined, 'Rules matched'), el('ul', 'matched', undefined, trace.rules.length ? trace.rules.map((r) => el('li', 'rule-matched', r.name)) : [el('li', 'none', 'none')]));
  if (trace.unmatched.length > 0) {
    parts.push(
      el('h3', undefined, 'Rules not matched'),
      el(
        'ul',
        'unmatched',
        undefined,
        trace.unmatched.map((r) =>
          el('li', 'rule-unmatched', undefined, [
            el('span', 'rule-name', r.name),
            ...(r.reason === 'condition'
              ? [el('span', 'label', ' when '), el('code', 'condition', JSON.stringify(r.condition)), el('span', 'label', ' saw '), el('code', 'saw', JSON.stringify(r.saw))]
              : [el('span', 'label', ' not reached (an earlier rule stopped the run)')]),
          ]),
        ),
      ),
    );
  }
  const rows = trace.fields.map((f) => el('tr', undefined, undefined, [el('td', undefined, f.source), el('td', undefined, '→'), el('td', 'field', `${f.output}${f.item ? `[${f.item}]` : ''}.${f.field}`), el('td', 'rule', f.rule)]));
  parts.push(el('h3', undefined, 'Paths → fields'), el('table', 'fields', undefined, rows));
  const skipped = message.warnings.filter((w) => w.code === 'REST_KEY_SKIPPED');
  if (skipped.length > 0) parts.push(el('h3', undefined, '`rest` skipped'), el('ul', 'rest-skipped', undefined, skipped.map((w) => el('li', undefined, w.message))));
  return el('div', 'trace', undefined, parts);
}

export function renderOutput(target: HTMLElement, answer: Answer): void {
  const parts: Node[] = [];
  if (answer.error) parts.push(el('p', 'banner error', undefined, [el('code', 'code', answer.error.code), document.createTextNode(` ${answer.error.message}`)]));
  if (answer.inputError) parts.push(el('p', 'banner error input-error', undefined, [el('code', 'code', answer.inputError.code), document.createTextNode(` ${answer.inputError.message}`)]));
  const errors = answer.diagnostics?.filter((d) => d.severity === 'error' && d.code !== 'EXAMPLE_FAILED') ?? [];
  if (errors.length > 0) parts.push(el('p', 'banner error', `The mapping has ${errors.length} error(s): nothing is mapped until they are fixed.`));
  parts.push(section('Braze requests', 'requests', [el('pre', 'json', answer.requests?.length ? json(answer.requests) : 'none')]));
  const problems: Node[] = [];
  for (const m of answer.messages ?? []) {
    const items = [...(m.error ? [codeLine(m.error, 'error')] : []), ...m.warnings.map((w) => codeLine(w, 'warning'))];
    if (items.length > 0) problems.push(el('h3', undefined, `message ${m.index + 1}${typeof m.messageId === 'string' ? ` (${m.messageId})` : ''}`), el('ul', 'problems', undefined, items));
  }
  parts.push(section('Warnings and errors', 'problems', problems.length ? problems : [el('p', 'none', 'none')]));
  parts.push(section('Trace', 'trace-section', (answer.messages ?? []).map((m) => el('details', 'message-trace', undefined, [el('summary', undefined, `message ${m.index + 1}`), traceOf(m)]))));
  for (const d of parts[parts.length - 1].childNodes) if (d instanceof HTMLDetailsElement) d.open = (answer.messages ?? []).length <= 3;
  const changes = answer.changesOnly;
  parts.push(
    section('Changes-only memory', 'changes-only', [
      ...(changes?.available
        ? changes.messages.flatMap((m) =>
            m.changes.map((c) =>
              el('p', 'left-out', undefined, [
                el('span', 'label', `message ${m.index + 1}, attributes ${c.position}, user ${c.user}: `),
                document.createTextNode(c.send === null ? 'nothing changed: not sent' : c.leftOut.length === 0 ? 'everything sent' : `left out ${c.leftOut.map((l) => `${l.key} (${l.reason})`).join(', ')}`),
              ]),
            ),
          )
        : [el('p', 'none', `Not available: ${changes?.note ?? 'no answer'}`)]),
    ]),
  );
  parts.push(
    section('Examples', 'examples', [
      el(
        'ul',
        'example-list',
        undefined,
        (answer.examples ?? []).map((x) =>
          el('li', x.failure ? 'example failed' : 'example passed', undefined, [
            el('span', 'verdict', x.failure ? 'FAIL' : 'pass'),
            document.createTextNode(` ${x.name} `),
            el('span', 'where', `${x.file}:${x.line}`),
            ...(x.failure ? [el('div', 'pointer', x.failure.pointer), el('div', 'failure', x.failure.message)] : []),
          ]),
        ),
      ),
    ]),
  );
  if (answer.timings) parts.push(el('p', 'timings', `compile ${answer.timings.compileMs.toFixed(1)} ms, map ${answer.timings.mapMs.toFixed(1)} ms`));
  target.replaceChildren(...parts);
}
