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
  private readonly prefixes = new Map<string, string>();
  private prelude = '';

  /** A name for a compile-time value the generated code uses, e.g. a transform. */
  constant(value: unknown): string {
    // Object.is, not ===: a `const: -0` must not become the 0 of another field.
    let index = this.constants.findIndex((c) => Object.is(c, value));
    if (index === -1) index = this.constants.push(value) - 1;
    return `k${index}`;
  }

  /** A fresh local variable, declared at the top of the generated function. */
  local(): string {
    return `v${this.locals++}`;
  }

  /** Statements that set `out` to the value at `path`, as CompiledPath.get would. */
  read(path: CompiledPath, out: string): string {
    const root = path.scope === 'item' ? 'it' : 'msg';
    if (path.segments.length === 0) return `${out} = ${root};\n`;
    const parent = this.prefix(root, path.segments.slice(0, -1));
    return `${out} = ${parent};\n${step(out, path.segments[path.segments.length - 1])}`;
  }

  /**
   * Fields read many paths below the same object (`traits.*`): each prefix is read once, at
   * the top of the function. Reading JSON has no effects, so reading it early is safe.
   */
  private prefix(root: string, segments: readonly string[]): string {
    if (segments.length === 0) return root;
    const key = `${root} ${JSON.stringify(segments)}`;
    let name = this.prefixes.get(key);
    if (name === undefined) {
      const parent = this.prefix(root, segments.slice(0, -1));
      name = this.local();
      this.prelude += `${name} = ${parent};\n${step(name, segments[segments.length - 1])}`;
      this.prefixes.set(key, name);
    }
    return name;
  }

  /**
   * Compiles `body` into `function (ctx) { … }`, where `msg` and `it` are the message and the
   * current item. Called once per output at compile time.
   */
  finish<F>(body: string): F {
    const names = this.constants.map((_, i) => `k${i} = K[${i}]`);
    const locals = Array.from({ length: this.locals }, (_, i) => `v${i}`);
    const text =
      "'use strict';\n" +
      (names.length > 0 ? `const ${names.join(', ')};\n` : '') +
      // Parenthesised so that V8 compiles it now, not on its first call: code nested too deep
      // for the parser then fails here, where the caller can fall back, not per message.
      `return (function generated(ctx) {\nconst msg = ctx.msg, it = ctx.item;\n` +
      (locals.length > 0 ? `let ${locals.join(', ')};\n` : '') +
      `${this.prelude}${body}});`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the class comment
    return new Function('K', text)(this.constants) as F;
  }
}

/** One step down a path; a step past a non-object stays undefined, so steps need no early exit. */
function step(out: string, segment: string): string {
  return `if (${out} !== null && typeof ${out} === 'object') { ${out} = ${out}[${JSON.stringify(segment)}]; if (typeof ${out} === 'function') ${out} = undefined; } else ${out} = undefined;\n`;
}

/** Statements that set their `out` variable to a value, or to undefined when it is absent. */
export type EmitValue = (e: Emitter, out: string) => string;

/** A string literal for generated code. */
export function literal(text: string): string {
  return JSON.stringify(text);
}
