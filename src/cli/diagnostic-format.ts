import { Diagnostic, diagnosticLine } from '../engine';

export type Format = 'text' | 'json' | 'github';
export const FORMATS: readonly Format[] = ['text', 'json', 'github'];

/** Two lines of context, the offending line, and carets under the offending text. */
export function codeFrame(d: Diagnostic, text: string | undefined): string {
  if (text === undefined || d.line < 1) return '';
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, d.line - 2);
  const width = String(d.line).length;
  const out: string[] = [];
  for (let n = first; n <= d.line && n <= lines.length; n++) {
    out.push(`${n === d.line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, d.col - 1))}${'^'.repeat(Math.max(1, d.length))}`);
  return out.join('\n');
}

function githubEscape(text: string, property = false): string {
  let out = text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  if (property) out = out.replace(/:/g, '%3A').replace(/,/g, '%2C');
  return out;
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], format: Format, texts: ReadonlyMap<string, string>, summary: Record<string, unknown>): string {
  if (format === 'json') return JSON.stringify({ diagnostics, summary }, null, 2) + '\n';
  if (format === 'github') {
    return diagnostics
      .map((d) => {
        const props = [`file=${githubEscape(d.file, true)}`, ...(d.line > 0 ? [`line=${d.line}`, `col=${d.col}`] : []), `title=${githubEscape(d.code, true)}`];
        return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${githubEscape(`${d.pointer || '/'} ${d.message}`)}\n`;
      })
      .join('');
  }
  return diagnostics.map((d) => [diagnosticLine(d), codeFrame(d, texts.get(d.file))].filter(Boolean).join('\n') + '\n\n').join('');
}
