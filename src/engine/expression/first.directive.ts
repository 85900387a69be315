import { pointerJoin } from '../diagnostics';
import { ValueFn } from './compiled-value';
import { SourceDirective } from './directive';

export const firstDirective: SourceDirective = {
  key: 'first',
  description: 'The first present, non-null value of several expressions (strings are paths); null when the only values are nulls.',
  compile(raw, pointer, cc) {
    if (!Array.isArray(raw) || raw.length === 0) return null;
    const compiled = raw.map((entry, i) => cc.compileValue(entry, pointerJoin(pointer, i)));
    if (compiled.some((c) => c === null)) return null;
    const fns: ValueFn[] = compiled.map((c) => c!.fn);
    const fn: ValueFn = (ctx) => {
      let sawNull = false;
      for (let i = 0; i < fns.length; i++) {
        const value = fns[i](ctx);
        if (value === null) sawNull = true;
        else if (value !== undefined) return value;
      }
      return sawNull ? null : undefined;
    };
    return { fn, describe: compiled.map((c) => c!.describe).join(' | ') };
  },
};
