import { autocompletion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { Text } from '@codemirror/state';
import { hoverTooltip } from '@codemirror/view';

/** A JSON Schema node, as far as completion and hover read it. */
interface SchemaNode {
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  enum?: unknown[];
}

/** `[]` stands for "an item of the list". */
type YamlPath = string[];

const KEY_LINE = /^(\s*)(?:(-)\s+)?(?:"([^"]*)"|'([^']*)'|([^\s:#{}[\],&*!|>'"%@`][^:#]*?))\s*:(?:\s|$)/;
const DASH_LINE = /^(\s*)-(?:\s|$)/;

interface Level {
  indent: number;
  key: string;
}

/** What one line opens: a list item (`-`) at its indent, and/or a key at the column the key starts. */
function levelsOf(line: string): Level[] {
  const key = KEY_LINE.exec(line);
  if (key) {
    const name = key[3] ?? key[4] ?? key[5] ?? '';
    const indent = key[1].length;
    return key[2] ? [{ indent, key: '[]' }, { indent: line.indexOf(name.charAt(0), indent + 1), key: name }] : [{ indent, key: name }];
  }
  const dash = DASH_LINE.exec(line);
  return dash ? [{ indent: dash[1].length, key: '[]' }] : [];
}

/** The keys above a position, outermost first: block YAML read by indentation, which still works while the text is half typed. */
export function pathAbove(doc: Text, lineNumber: number, column: number): YamlPath {
  const path: YamlPath = [];
  let within = column;
  // The current line's own dash, left of the cursor, opens an item that holds the key being typed.
  for (const level of levelsOf(doc.line(lineNumber).text.slice(0, column)).reverse()) {
    if (level.key === '[]' && level.indent < within) {
      path.unshift('[]');
      within = level.indent;
    }
  }
  for (let n = lineNumber - 1; n >= 1 && within > 0; n--) {
    const text = doc.line(n).text;
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    for (const level of levelsOf(text).reverse()) {
      if (level.indent < within) {
        path.unshift(level.key);
        within = level.indent;
      }
    }
  }
  return path;
}

export class SchemaIndex {
  constructor(private readonly root: SchemaNode) {}

  private resolve(node: SchemaNode | undefined, depth = 0): SchemaNode[] {
    if (!node || depth > 20) return [];
    if (node.$ref?.startsWith('#/')) {
      const target = node.$ref
        .slice(2)
        .split('/')
        .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], this.root) as SchemaNode | undefined;
      // The referring node's own description says what this use of the definition means.
      return this.resolve(target, depth + 1).map((t) => ({ ...t, description: node.description ?? t.description }));
    }
    const alternatives = [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.allOf ?? [])].flatMap((n) => this.resolve(n, depth + 1));
    return [node, ...alternatives];
  }

  /** The schema nodes a path can lead to. */
  nodesAt(path: YamlPath): SchemaNode[] {
    let nodes = this.resolve(this.root);
    for (const key of path) {
      nodes = nodes.flatMap((n) => {
        if (key === '[]') return this.resolve(n.items);
        const property = n.properties?.[key];
        if (property) return this.resolve(property);
        return typeof n.additionalProperties === 'object' ? this.resolve(n.additionalProperties) : [];
      });
    }
    return nodes;
  }

  propertiesAt(path: YamlPath): Map<string, SchemaNode> {
    const found = new Map<string, SchemaNode>();
    for (const node of this.nodesAt(path)) for (const [key, value] of Object.entries(node.properties ?? {})) if (!found.has(key)) found.set(key, this.resolve(value)[0] ?? value);
    return found;
  }

  describe(path: YamlPath): string | null {
    const parent = path.slice(0, -1);
    const key = path[path.length - 1];
    const node = this.propertiesAt(parent).get(key);
    if (!node) return null;
    const type = Array.isArray(node.type) ? node.type.join(' | ') : node.type;
    return [node.title, type ? `(${type})` : '', node.description].filter(Boolean).join(' ');
  }
}

function completeKeys(index: SchemaIndex) {
  return (context: CompletionContext): CompletionResult | null => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    const typed = /^(\s*(?:-\s+)?)([\w$-]*)$/.exec(before);
    if (!typed || (typed[2] === '' && !context.explicit)) return null;
    const column = typed[1].length;
    const properties = index.propertiesAt(pathAbove(context.state.doc, line.number, column));
    if (properties.size === 0) return null;
    return {
      from: context.pos - typed[2].length,
      options: [...properties].map(([key, node]) => ({ label: key, type: 'property', detail: node.title, info: node.description, apply: `${key}: ` })),
      validFor: /^[\w$-]*$/,
    };
  };
}

function hoverKeys(index: SchemaIndex) {
  return hoverTooltip((view, pos) => {
    const line = view.state.doc.lineAt(pos);
    const key = KEY_LINE.exec(line.text);
    if (!key) return null;
    const name = key[3] ?? key[4] ?? key[5] ?? '';
    const start = line.from + line.text.indexOf(name, key[1].length + (key[2] ? 1 : 0));
    if (pos < start || pos > start + name.length) return null;
    const text = index.describe([...pathAbove(view.state.doc, line.number, start - line.from), name]);
    if (!text) return null;
    return {
      pos: start,
      end: start + name.length,
      above: true,
      create: () => {
        const dom = document.createElement('div');
        dom.className = 'schema-hover';
        dom.textContent = text;
        return { dom };
      },
    };
  });
}

/** Completion of keys and hover docs, both from mappings/schema.json. */
export function schemaAssist(schema: unknown) {
  const index = new SchemaIndex(schema as SchemaNode);
  return [autocompletion({ override: [completeKeys(index)] }), hoverKeys(index)];
}
