import { pointerJoin } from '../diagnostics';
import { EmitValue } from '../emit';
import { CompiledValue, ValueFn } from './compiled-value';
import { SourceDirective } from './directive';

/** Each candidate runs only while the ones before it were absent or null. */
function emitFirst(candidates: readonly CompiledValue[]): EmitValue {
  return (e, out) => {
    const sawNull = e.local();
    let code = `${sawNull} = false;\n`;
    for (const candidate of candidates) {
      code += candidate.emit(e, out);
      code += `if (${out} === null) ${sawNull} = true;\nif (${out} === undefined || ${out} === null) {\n`;
    }
    code += `${out} = ${sawNull} ? null : undefined;\n`;
    return code + '}\n'.repeat(candidates.length);
  };
}

export const firstDirective: SourceDirective = {
  key: 'first',
  description: 'The first present, non-null value of several expressions (strings are paths); null when the only values are nulls.',
  compile(raw, pointer, cc) {
    if (!Array.isArray(raw) || raw.length === 0) return null;
    const compiled = raw.map((entry, i) => cc.compileValue(entry, pointerJoin(pointer, i)));
    if (compiled.some((c) => c === null)) return null;
    const candidates = compiled as CompiledValue[];
    const fns: ValueFn[] = candidates.map((c) => c.fn);
    const fn: ValueFn = (ctx) => {
      let sawNull = false;
      for (let i = 0; i < fns.length; i++) {
        const value = fns[i](ctx);
        if (value === null) sawNull = true;
        else if (value !== undefined) return value;
      }
      return sawNull ? null : undefined;
    };
    return { fn, emit: emitFirst(candidates), describe: candidates.map((c) => c.describe).join(' | ') };
  },
};
