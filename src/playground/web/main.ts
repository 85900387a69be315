import { yaml as yamlLanguage } from '@codemirror/lang-yaml';
import { Diagnostic as LintDiagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState, Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { stringify } from 'yaml';
import { Answer, Diagnostic, renderOutput } from './render-output';
import { SAMPLES } from './samples';
import { schemaAssist } from './schema-assist';
import './style.css';

/** Long enough to let a word be typed, short enough to feel live: the round trip itself is a few ms. */
const DEBOUNCE_MS = 150;

interface MappingFile {
  file: string;
  state: EditorState;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function lintOf(doc: Text, diagnostics: readonly Diagnostic[], file: string): LintDiagnostic[] {
  return diagnostics
    .filter((d) => d.file === file || d.file === '')
    .map((d) => {
      const line = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
      const from = Math.min(line.from + Math.max(d.col - 1, 0), line.to);
      const to = Math.min(from + Math.max(d.length, 1), Math.max(line.to, from));
      return { from, to, severity: d.severity, source: d.code, message: `${d.code}${d.pointer ? ` at ${d.pointer}` : ''}: ${d.message}` };
    });
}

async function start(): Promise<void> {
  const session = (await (await fetch('./api/session')).json()) as { files: { file: string; text: string }[]; schema: unknown };
  const status = $('status');
  let answer: Answer | null = null;
  let sequence = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  };
  const onChange = EditorView.updateListener.of((update) => {
    if (update.docChanged) schedule();
  });

  // The page's Content-Security-Policy admits CodeMirror's own <style> elements by this nonce only.
  const nonce = EditorView.cspNonce.of(document.querySelector<HTMLMetaElement>('meta[name="style-nonce"]')?.content ?? '');
  const extensions = [nonce, basicSetup, yamlLanguage(), lintGutter(), schemaAssist(session.schema), onChange];
  const files: MappingFile[] = session.files.map(({ file, text }) => ({ file, state: EditorState.create({ doc: text, extensions }) }));
  let active = 0;
  const mapping = new EditorView({ state: files[0]?.state ?? EditorState.create({ extensions }), parent: $('editor') });
  const input = new EditorView({ state: EditorState.create({ doc: '', extensions: [nonce, basicSetup, onChange] }), parent: $('input') });

  const showDiagnostics = () => {
    const current = files[active];
    if (!current || !answer) return;
    mapping.dispatch(setDiagnostics(mapping.state, lintOf(mapping.state.doc, answer.diagnostics ?? [], current.file)));
    $('diagnostics').replaceChildren(
      ...(answer.diagnostics ?? []).map((d) => {
        const item = document.createElement('li');
        item.className = `diagnostic ${d.severity}`;
        item.textContent = `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`;
        item.dataset.line = String(d.line);
        item.dataset.code = d.code;
        item.addEventListener('click', () => goTo(d));
        return item;
      }),
    );
  };

  const showTab = (i: number) => {
    files[active].state = mapping.state;
    active = i;
    mapping.setState(files[i].state);
    drawTabs();
    showDiagnostics();
  };
  /** A diagnostic in the list, clicked: its file's tab, the cursor on its line and column. */
  const goTo = (d: Diagnostic) => {
    const i = files.findIndex((f) => f.file === d.file);
    if (i < 0) return;
    if (i !== active) showTab(i);
    const line = mapping.state.doc.line(Math.min(Math.max(d.line, 1), mapping.state.doc.lines));
    const at = Math.min(line.from + Math.max(d.col - 1, 0), line.to);
    mapping.dispatch({ selection: { anchor: at }, scrollIntoView: true });
    mapping.focus();
  };

  const tabs = $('tabs');
  const drawTabs = () =>
    tabs.replaceChildren(
      ...files.map((f, i) => {
        const tab = document.createElement('button');
        tab.type = 'button';
        tab.className = i === active ? 'tab active' : 'tab';
        tab.textContent = f.file;
        tab.addEventListener('click', () => showTab(i));
        return tab;
      }),
    );
  drawTabs();

  async function run(): Promise<void> {
    files[active].state = mapping.state;
    const mine = ++sequence;
    const body = JSON.stringify({ files: files.map((f, i) => ({ file: f.file, text: (i === active ? mapping.state : f.state).doc.toString() })), input: input.state.doc.toString() });
    const sent = performance.now();
    let next: Answer;
    try {
      const response = await fetch('./api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const parsed = await response.json();
      next = response.ok ? parsed : ({ error: { code: parsed.code, message: parsed.message }, diagnostics: [], examples: [], messages: [], requests: [] } as unknown as Answer);
    } catch (error) {
      next = { error: { code: 'NETWORK', message: (error as Error).message }, diagnostics: [], examples: [], messages: [], requests: [] } as unknown as Answer;
    }
    if (mine !== sequence) return; // a newer edit is on its way
    const roundTripMs = performance.now() - sent;
    answer = next;
    renderOutput($('output'), answer);
    showDiagnostics();
    status.textContent = `${roundTripMs.toFixed(0)} ms round trip`;
    document.body.dataset.runs = String(mine);
    document.body.dataset.roundTripMs = roundTripMs.toFixed(2);
  }

  const sample = $<HTMLSelectElement>('sample');
  for (const s of SAMPLES) sample.append(new Option(s.label, s.id));
  sample.append(new Option('(paste your own)', ''));
  const pick = () => {
    const chosen = SAMPLES.find((s) => s.id === sample.value);
    if (chosen) input.dispatch({ changes: { from: 0, to: input.state.doc.length, insert: JSON.stringify(chosen.message, null, 2) } });
  };
  sample.addEventListener('change', pick);
  pick();

  const currentYaml = () => mapping.state.doc.toString();
  $('copy-yaml').addEventListener('click', () => void navigator.clipboard.writeText(currentYaml()).then(() => (status.textContent = 'YAML copied')));
  $('download-yaml').addEventListener('click', () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([currentYaml()], { type: 'application/yaml' }));
    link.download = (files[active]?.file ?? 'mapping.yaml').split('/').pop()!;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  $('add-example').addEventListener('click', () => showExample(answer, input.state.doc.toString()));
  void run();
}

/** The current input's first message and what it mapped to, as an entry of the file's `examples:`. */
function exampleSnippet(answer: Answer | null, inputText: string): string {
  const first = answer?.messages?.[0];
  if (!first) return '# map a message first';
  let message: unknown;
  try {
    const parsed = JSON.parse(inputText);
    message = Array.isArray(parsed) ? parsed[0] : parsed;
  } catch {
    message = JSON.parse(inputText.split(/\r?\n/).find((l) => l.trim() !== '') ?? 'null');
  }
  const name = typeof (message as { event?: unknown })?.event === 'string' ? (message as { event: string }).event : `${(message as { type?: string })?.type ?? 'message'} example`;
  const expect: Record<string, unknown> = first.error ? { error: { code: first.error.code } } : { requests: first.requests };
  if (!first.error && first.warnings.length > 0) expect.warnings = first.warnings.map((w) => ({ code: w.code }));
  return stringify([{ name, message, expect }], { indent: 2 });
}

function showExample(answer: Answer | null, inputText: string): void {
  const dialog = document.getElementById('example-dialog') as HTMLDialogElement | null;
  const box = dialog ?? document.body.appendChild(document.createElement('dialog'));
  box.id = 'example-dialog';
  const snippet = exampleSnippet(answer, inputText);
  const pre = document.createElement('pre');
  pre.className = 'snippet';
  pre.textContent = snippet;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.textContent = 'Copy';
  copy.addEventListener('click', () => void navigator.clipboard.writeText(snippet));
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Close';
  close.addEventListener('click', () => (box as HTMLDialogElement).close());
  const note = document.createElement('p');
  note.textContent = 'Paste under the file\'s examples: (validate runs it from then on).';
  box.replaceChildren(note, pre, copy, close);
  (box as HTMLDialogElement).showModal();
}

void start();
