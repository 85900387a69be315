import { CompiledPath } from '../path';
import { makeRenderer, parseTemplate } from '../template';
import { CompileContext, readPath, ValueFn } from './compiled-value';
import { SourceDirective } from './directive';
import { RunContext } from '../run-context';

/** Compiles template text; shared by the `template` directive and templated field keys. */
export interface CompiledTemplate {
  readonly render: (ctx: RunContext) => string | undefined;
  /** The placeholder paths, for messages. */
  readonly needs: string;
}

export function compileTemplateText(text: string, pointer: string, cc: CompileContext, atKey = false): CompiledTemplate | null {
  const parsed = parseTemplate(text);
  if (!parsed.ok) {
    cc.sink.error('MALFORMED_TEMPLATE', pointer, `template "${text}": ${parsed.reason}`, atKey);
    return null;
  }
  const paths: CompiledPath[] = [];
  for (const p of parsed.template.paths) {
    const compiled = cc.compilePathAt(p, pointer, atKey);
    if (!compiled) return null;
    paths.push(compiled);
  }
  const renderer = makeRenderer(parsed.template.literals, paths);
  return { render: (ctx) => renderer((path) => readPath(path, ctx)), needs: paths.map((p) => p.text).join(', ') };
}

export const templateDirective: SourceDirective = {
  key: 'template',
  description: 'Text with `{{path}}` placeholders; absent when a placeholder has no scalar value.',
  compile(raw, pointer, cc) {
    if (typeof raw !== 'string') return null;
    const template = compileTemplateText(raw, pointer, cc);
    if (!template) return null;
    const fn: ValueFn = template.render;
    return { fn, describe: `template "${raw}"` };
  },
};
