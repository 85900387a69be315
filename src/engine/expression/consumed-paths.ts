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
