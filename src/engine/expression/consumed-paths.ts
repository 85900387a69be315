import { Emitter, literal } from '../emit';
import { CompiledPath, Scope } from '../path';
import { isJsonObject } from '../json';

interface Node {
  whole: boolean;
  children: Map<string, Node>;
}

function newNode(): Node {
  return { whole: false, children: new Map() };
}

/**
 * The set of paths that the named fields of one output read. `rest` copies what is not in
 * it: reading `traits.address.city` consumes that leaf, not the whole `address`.
 */
export class ConsumedPaths {
  private readonly roots: Record<Scope, Node> = { message: newNode(), item: newNode() };

  add(path: CompiledPath): void {
    let node = this.roots[path.scope];
    for (const segment of path.segments) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = newNode()));
      node = child;
    }
    node.whole = true;
  }

  /** The consumption tree below a path, or null when nothing below it is consumed. */
  below(path: CompiledPath): ConsumedNode | null {
    let node: Node | undefined = this.roots[path.scope];
    for (const segment of path.segments) {
      node = node.children.get(segment);
      if (!node) return null;
    }
    return node;
  }
}

export type ConsumedNode = Readonly<Node>;

/** Copies the members of `value` not consumed under `node`; undefined when nothing remains. */
export function remainder(value: unknown, node: ConsumedNode | null): Record<string, unknown> | undefined {
  if (!isJsonObject(value)) return undefined;
  if (node === null) return Object.keys(value).length > 0 ? value : undefined;
  if (node.whole) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    const child = node.children.get(key);
    let kept: unknown = value[key];
    if (child) {
      if (child.whole) continue;
      if (isJsonObject(kept)) {
        kept = remainder(kept, child);
        if (kept === undefined) continue;
      }
    }
    (out ??= {})[key] = kept;
  }
  return out;
}

/**
 * `remainder` as generated code, for a node that is not whole and a `value` known to be a
 * JSON object: sets `value` to what is left, or undefined.
 */
export function emitRemainder(e: Emitter, node: ConsumedNode, value: string): string {
  const [keys, i, key, kept, out] = [e.local(), e.local(), e.local(), e.local(), e.local()];
  let code = `${keys} = Object.keys(${value}); ${out} = undefined;\n`;
  code += `for (${i} = 0; ${i} < ${keys}.length; ${i}++) {\n${key} = ${keys}[${i}];\n${kept} = ${value}[${key}];\nswitch (${key}) {\ncase '__proto__': continue;\n`;
  for (const [k, child] of node.children) {
    if (child.whole) code += `case ${literal(k)}: continue;\n`;
    else {
      code += `case ${literal(k)}: if (${kept} !== null && typeof ${kept} === 'object' && !Array.isArray(${kept})) {\n${emitRemainder(e, child, kept)}if (${kept} === undefined) continue;\n}\nbreak;\n`;
    }
  }
  return code + `}\nif (${out} === undefined) ${out} = {};\n${out}[${key}] = ${kept};\n}\n${value} = ${out};\n`;
}
