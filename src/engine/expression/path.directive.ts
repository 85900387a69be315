import { readPath } from './compiled-value';
import { SourceDirective } from './directive';

export const pathDirective: SourceDirective = {
  key: 'path',
  description: 'The value at a dotted path of the message (`traits.address.city`), or of the current item (`$item.price`).',
  compile(raw, pointer, cc) {
    if (typeof raw !== 'string') return null;
    const path = cc.compilePathAt(raw, pointer);
    if (!path) return null;
    return { fn: (ctx) => readPath(path, ctx), emit: (e, out) => e.read(path, out), describe: path.text };
  },
};
