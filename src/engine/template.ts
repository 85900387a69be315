import { CompiledPath } from './path';

/** `Viewed {{name}} Page` split once into literal text and the paths between braces. */
export interface ParsedTemplate {
  readonly literals: readonly string[];
  readonly paths: readonly string[];
}

export type TemplateParse = { ok: true; template: ParsedTemplate } | { ok: false; reason: string };

export function parseTemplate(text: string): TemplateParse {
  const literals: string[] = [];
  const paths: string[] = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf('{{', at);
    const strayClose = text.indexOf('}}', at);
    if (open === -1) {
      if (strayClose !== -1) return { ok: false, reason: `"}}" at character ${strayClose + 1} closes nothing` };
      literals.push(text.slice(at));
      return { ok: true, template: { literals, paths } };
    }
    if (strayClose !== -1 && strayClose < open) return { ok: false, reason: `"}}" at character ${strayClose + 1} closes nothing` };
    const close = text.indexOf('}}', open + 2);
    if (close === -1) return { ok: false, reason: `"{{" at character ${open + 1} is never closed` };
    const inner = text.slice(open + 2, close).trim();
    if (inner === '') return { ok: false, reason: `empty "{{ }}" at character ${open + 1}` };
    if (inner.includes('{{')) return { ok: false, reason: `nested "{{" at character ${open + 1}` };
    literals.push(text.slice(at, open));
    paths.push(inner);
    at = close + 2;
  }
}

export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('}}');
}

/** Renders with compiled paths; undefined when a value is absent or not a scalar. */
export type TemplateRenderer = (read: (path: CompiledPath) => unknown) => string | undefined;

export function makeRenderer(literals: readonly string[], paths: readonly CompiledPath[]): TemplateRenderer {
  return (read) => {
    let out = literals[0];
    for (let i = 0; i < paths.length; i++) {
      const value = read(paths[i]);
      if (typeof value === 'string' && value !== '') out += value;
      else if (typeof value === 'number' || typeof value === 'boolean') out += String(value);
      else return undefined;
      out += literals[i + 1];
    }
    return out;
  };
}
