import { EmitValue, literal } from '../emit';
import { CompiledPath } from '../path';
import { makeRenderer, parseTemplate } from '../template';
import { CompileContext, readPath, ValueFn } from './compiled-value';
import { SourceDirective } from './directive';
import { RunContext } from '../run-context';

/** Compiles template text; shared by the `template` directive and templated field keys. */
export interface CompiledTemplate {
  readonly render: (ctx: RunContext) => string | undefined;
  /** `render` as generated code. */
  readonly emit: EmitValue;
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
  return {
    render: (ctx) => renderer((path) => readPath(path, ctx)),
    emit: emitTemplate(parsed.template.literals, paths),
    needs: paths.map((p) => p.text).join(', '),
  };
}

/** makeRenderer as straight-line code: each placeholder runs only while the text is still whole. */
function emitTemplate(literals: readonly string[], paths: readonly CompiledPath[]): EmitValue {
  return (e, out) => {
    const value = e.local();
    let code = `${out} = ${literal(literals[0])};\n`;
    paths.forEach((path, i) => {
      if (i > 0) code += `if (${out} !== undefined) {\n`;
      code += e.read(path, value);
      code += `if (typeof ${value} === 'string' && ${value} !== '') ${out} += ${value};\n`;
      code += `else if (typeof ${value} === 'number' || typeof ${value} === 'boolean') ${out} += String(${value});\n`;
      code += `else ${out} = undefined;\n`;
      if (literals[i + 1] !== '') code += `if (${out} !== undefined) ${out} += ${literal(literals[i + 1])};\n`;
    });
    return code + '}\n'.repeat(Math.max(0, paths.length - 1));
  };
}

export const templateDirective: SourceDirective = {
  key: 'template',
  description: 'Text with `{{path}}` placeholders; absent when a placeholder has no scalar value.',
  compile(raw, pointer, cc) {
    if (typeof raw !== 'string') return null;
    const template = compileTemplateText(raw, pointer, cc);
    if (!template) return null;
    const fn: ValueFn = template.render;
    return { fn, emit: template.emit, describe: `template "${raw}"` };
  },
};
