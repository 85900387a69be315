import { compileFieldSet } from '../field-set';
import { SourceDirective } from './directive';

export const objectDirective: SourceDirective = {
  key: 'object',
  description: 'A nested object built from fields (keys may be templates); absent when none of its fields has a value.',
  compile(raw, pointer, cc) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
    const fields = compileFieldSet(raw as Record<string, unknown>, pointer, cc);
    return {
      fn: (ctx) => {
        const out: Record<string, unknown> = {};
        return fields.fill(ctx, out) > 0 ? out : undefined;
      },
      emit: (e, out) => {
        const object = e.local();
        const written = e.local();
        return `${object} = {}; ${written} = 0;\n${fields.emit(e, object, written)}${out} = ${written} > 0 ? ${object} : undefined;\n`;
      },
      describe: 'object',
    };
  },
};
