/**
 * GraphQL documents: the document itself as a kind "graphql" leaf (for analyzers of the GraphQL language:
 * introspection, batching, aliases), and every string written into it (arguments, directive arguments,
 * variable defaults) as a value leaf `<base>.<field path>.<argument>`, since that is where the
 * application's resolvers take client text from. Variables are JSON and are walked as JSON by the caller.
 */
import { Kind, parse, type ArgumentNode, type DirectiveNode, type DocumentNode, type SelectionSetNode, type ValueNode } from "graphql";
import type { Encoding, FieldLocation } from "../leaf.ts";
import type { LeafSink } from "../sink.ts";

/** Far more tokens than a real query has; the parser's time and memory stay bounded by it. */
const MAX_GRAPHQL_TOKENS = 50_000;

/** An operation keyword or a `{` selection set first (after spaces and `#` comments are trimmed off the start). */
const GRAPHQL_START = /^\s*(?:(?:query|mutation|subscription|fragment)\b[^{]{0,2000}\{|\{\s*[_A-Za-z])/;

/** Cheap: is it worth running the GraphQL parser on this text? */
export function looksLikeGraphql(text: string): boolean {
  return text.length >= 3 && text.indexOf("}") !== -1 && GRAPHQL_START.test(text);
}

export interface GraphqlBase {
  location: FieldLocation;
  path: string;
  name: string;
  encodings: Encoding[];
  layer: number;
}

interface Walk {
  sink: LeafSink;
  base: GraphqlBase;
}

/**
 * The last document parsed: the decompose stage parses a document, then the GraphQL analyzer asks for
 * the same text again (documents that define fragments, nest or batch), so one entry saves the second
 * parse. Documents are only read, never changed.
 */
let last: { text: string; doc: DocumentNode | null } | null = null;
const MAX_KEPT_DOCUMENT = 64 * 1024;

/** The document, or null when the text is not GraphQL, has too many tokens or nests past the parser's stack. */
export function parseGraphql(text: string): DocumentNode | null {
  if (last?.text === text) return last.doc;
  let doc: DocumentNode | null;
  try {
    doc = parse(text, { noLocation: true, maxLexicalTokens: MAX_GRAPHQL_TOKENS });
  } catch {
    doc = null;
  }
  // A large document is not held on to past its request.
  last = text.length <= MAX_KEPT_DOCUMENT ? { text, doc } : null;
  return doc;
}

/**
 * Adds the document and its strings; false when the text does not parse as GraphQL (nothing is added
 * then, and the caller judges the text as it is).
 */
export function addGraphqlLeaves(sink: LeafSink, text: string, base: GraphqlBase): boolean {
  const doc = parseGraphql(text);
  if (!doc) return false;
  const w: Walk = { sink, base };
  if (!sink.value(base.location, base.path, base.name, text, "graphql", base.encodings, base.layer)) return true;
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION || def.kind === Kind.FRAGMENT_DEFINITION) {
      const prefix = def.name ? `${base.path}.${def.name.value}` : base.path;
      for (const v of def.variableDefinitions ?? []) {
        if (v.defaultValue) addValue(w, v.defaultValue, `${prefix}.$${v.variable.name.value}`, v.variable.name.value, 0);
      }
      addDirectives(w, def.directives, prefix, 0);
      addSelections(w, def.selectionSet, prefix, 0);
    }
  }
  return true;
}

function tooDeep(w: Walk, depth: number): boolean {
  if (depth <= w.sink.limits.maxDepth) return false;
  w.sink.flag("too-deep");
  return true;
}

function addSelections(w: Walk, set: SelectionSetNode | undefined, path: string, depth: number): void {
  if (!set || tooDeep(w, depth)) return;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const fieldPath = `${path}.${(sel.alias ?? sel.name).value}`;
      addArguments(w, sel.arguments, fieldPath, depth);
      addDirectives(w, sel.directives, fieldPath, depth);
      addSelections(w, sel.selectionSet, fieldPath, depth + 1);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      addDirectives(w, sel.directives, path, depth);
      addSelections(w, sel.selectionSet, path, depth + 1);
    } else {
      addDirectives(w, sel.directives, path, depth);
    }
  }
}

function addDirectives(w: Walk, directives: readonly DirectiveNode[] | undefined, path: string, depth: number): void {
  for (const d of directives ?? []) addArguments(w, d.arguments, `${path}@${d.name.value}`, depth);
}

function addArguments(w: Walk, args: readonly ArgumentNode[] | undefined, path: string, depth: number): void {
  for (const a of args ?? []) addValue(w, a.value, `${path}.${a.name.value}`, a.name.value, depth);
}

/** Strings at any depth of lists and input objects (numbers, booleans and enums cannot carry code). */
function addValue(w: Walk, value: ValueNode, path: string, name: string, depth: number): void {
  if (tooDeep(w, depth)) return;
  const { sink, base } = w;
  if (value.kind === Kind.STRING) sink.value(base.location, path, name, value.value, "value", base.encodings, base.layer);
  else if (value.kind === Kind.LIST) value.values.forEach((v, i) => addValue(w, v, `${path}[${i}]`, name, depth + 1));
  else if (value.kind === Kind.OBJECT) for (const f of value.fields) addValue(w, f.value, `${path}.${f.name.value}`, f.name.value, depth + 1);
}
