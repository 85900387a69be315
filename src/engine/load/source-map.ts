import { isMap, isPair, isScalar, isSeq, LineCounter, Node, parseDocument, Document } from 'yaml';
import { Finding, pointerSegments } from '../diagnostics';

export interface SourcePosition {
  line: number;
  col: number;
  length: number;
}

/** A parsed YAML file that can turn a JSON pointer back into a line and column. */
export class YamlSource {
  readonly document: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, strict: true });
  }

  positionOfOffset(offset: number, end = offset + 1): SourcePosition {
    const { line, col } = this.lines.linePos(Math.min(offset, this.text.length));
    const lineEnd = this.text.indexOf('\n', offset);
    const limit = lineEnd === -1 ? this.text.length : lineEnd;
    return { line, col, length: Math.max(1, Math.min(end, limit) - offset) };
  }

  /**
   * The position of the node a pointer names; for `atKey`, of its key. A pointer into a
   * part of the document that does not exist resolves to its nearest existing ancestor.
   */
  locate(pointer: string, atKey = false): SourcePosition {
    let node: unknown = this.document.contents;
    let keyNode: unknown = null;
    for (const segment of pointerSegments(pointer)) {
      keyNode = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        node = item;
      } else break;
    }
    const target = (atKey && keyNode ? keyNode : node ?? keyNode) as Node | null;
    const range = target?.range;
    return range ? this.positionOfOffset(range[0], range[1]) : { line: 1, col: 1, length: 1 };
  }

  /** YAML syntax problems as findings, already placed. */
  syntaxFindings(): (Finding & SourcePosition)[] {
    return [...this.document.errors, ...this.document.warnings].map((e) => {
      const position = this.positionOfOffset(e.pos[0], e.pos[1]);
      const code = e.code === 'DUPLICATE_KEY' ? 'DUPLICATE_KEY' : 'YAML_SYNTAX';
      const severity = e.name === 'YAMLWarning' ? 'warning' : 'error';
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { code, severity, pointer: '', message, ...position };
    });
  }
}
