// How deep user input nests, measured before it is parsed: the YAML parser's composer recurses once per
// level and its CST parser slows down with depth (a 600 KB `{"a":{"a":...}}` took seconds, then blew
// the stack; a stack overflow inside V8's regexp compiler aborts the whole process). No resource nests
// anywhere near this deep, so deeper input is refused up front.
import { CST, Lexer } from 'yaml';

/** Deeper than any resource (about 6 levels) or filter configuration has a reason to go. */
export const MAX_NESTING_DEPTH = 64;

export interface TooDeep {
  /** The document (0-based) in which the limit was passed. */
  readonly document: number;
  readonly line: number;
}

/**
 * The first place where `text` nests deeper than `limit`, or undefined. A linear pass over the YAML
 * lexer's tokens estimates the depth (open flow collections, block indentation levels, and the block
 * indicators `- ? :` on the current line): never below the real depth, at most about twice it.
 */
export function yamlTooDeep(text: string, limit = MAX_NESTING_DEPTH): TooDeep | undefined {
  let flow = 0;
  let indents: number[] = [];
  let indicators = 0;
  let lineStart = true;
  let lineIndent = 0;
  let line = 1;
  let document = 0;
  let documentHasContent = false;
  const content = (): void => {
    documentHasContent = true;
    if (!lineStart) return;
    lineStart = false;
    if (flow > 0) return;
    while (indents.length > 0 && indents[indents.length - 1]! > lineIndent) indents.pop();
    if (indents.length === 0 || indents[indents.length - 1]! < lineIndent) indents.push(lineIndent);
  };
  for (const lexeme of new Lexer().lex(text)) {
    switch (CST.tokenType(lexeme)) {
      case 'doc-start':
        if (documentHasContent) document++;
        documentHasContent = false;
        flow = 0;
        indents = [];
        indicators = 0;
        lineStart = false;
        break;
      case 'newline':
        line++;
        lineStart = true;
        lineIndent = 0;
        indicators = 0;
        break;
      case 'space':
        if (lineStart) lineIndent = lexeme.length;
        break;
      case 'comment':
      case 'doc-mode':
      case 'byte-order-mark':
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        content();
        if (flow === 0) indicators++;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        content();
        flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        flow = Math.max(0, flow - 1);
        break;
      default:
        content();
    }
    if (flow + indents.length + indicators > limit) return { document, line };
  }
  return undefined;
}

/** Whether a parsed JSON value nests deeper than `limit` (walked without recursion). */
export function jsonTooDeep(value: unknown, limit = MAX_NESTING_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
