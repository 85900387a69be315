import { CompiledPath } from './path';

/**
 * Generated code for the request path. An interpreter of closures pays a megamorphic call
 * per value and a loop per field set; a plan's output instead becomes one function with the
 * keys written in as literals, so V8 gives every read and store its own inline cache.
 *
 * What may enter the generated text: keys, paths and messages as `JSON.stringify` string
 * literals, names this class makes up (`k3`, `v7`), and fixed code from the directive files.
 * Every other value (transforms, defaults, consumption trees, the error class) is passed in
 * as a constant. No user text is ever evaluated, and generation runs once, at compile time.
 */
export class Emitter {
  private readonly constants: unknown[] = [];
  private locals = 0;

  /** A name for a compile-time value the generated code uses, e.g. a transform. */
  constant(value: unknown): string {
    let index = this.constants.indexOf(value);
    if (index === -1) index = this.constants.push(value) - 1;
    return `k${index}`;
  }

  /** A fresh local variable, declared at the top of the generated function. */
  local(): string {
    return `v${this.locals++}`;
  }

  /** Statements that set `out` to the value at `path`, as CompiledPath.get would. */
  read(path: CompiledPath, out: string): string {
    let code = `${out} = ${path.scope === 'item' ? 'it' : 'msg'};\n`;
    // A step past a non-object stays undefined, so the steps need no early exit.
    for (const segment of path.segments) {
      code += `if (${out} !== null && typeof ${out} === 'object') { ${out} = ${out}[${JSON.stringify(segment)}]; if (typeof ${out} === 'function') ${out} = undefined; } else ${out} = undefined;\n`;
    }
    return code;
  }

  /**
   * Compiles `body` into `function (ctx) { … }`, where `msg` and `it` are the message and the
   * current item. Called once per output at compile time.
   */
  finish<F>(body: string): F {
    const names = this.constants.map((_, i) => `k${i} = K[${i}]`);
    const locals = Array.from({ length: this.locals }, (_, i) => `v${i}`);
    const text =
      (names.length > 0 ? `const ${names.join(', ')};\n` : '') +
      `return function generated(ctx) {\nconst msg = ctx.msg, it = ctx.item;\n` +
      (locals.length > 0 ? `let ${locals.join(', ')};\n` : '') +
      `${body}};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the class comment
    return new Function('K', text)(this.constants) as F;
  }
}

/** Statements that set their `out` variable to a value, or to undefined when it is absent. */
export type EmitValue = (e: Emitter, out: string) => string;

/** A string literal for generated code. */
export function literal(text: string): string {
  return JSON.stringify(text);
}
