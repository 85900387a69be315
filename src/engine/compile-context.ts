import { FindingSink } from './diagnostics';
import { CompileContext } from './expression/compiled-value';
import { compileValue } from './expression/compile-value';
import { ConsumedPaths } from './expression/consumed-paths';
import { compilePath } from './path';

export function createCompileContext(sink: FindingSink, inEach: boolean, consumed = new ConsumedPaths()): CompileContext {
  const cc: CompileContext = {
    sink,
    inEach,
    consumed,
    compileValue: (raw, pointer) => compileValue(raw, pointer, cc),
    compilePathAt(text, pointer, atKey = false, consume = true) {
      const path = compilePath(text);
      if ('error' in path) {
        sink.error('MALFORMED_PATH', pointer, `path "${text}": ${path.error}`, atKey);
        return null;
      }
      if (path.scope === 'item' && !inEach) {
        sink.error('ITEM_OUTSIDE_EACH', pointer, `path "${text}" reads $item, but this output has no "each"`, atKey);
        return null;
      }
      if (consume) consumed.add(path);
      return path;
    },
  };
  return cc;
}
