/**
 * The GraphQL language itself (a document, the decompose stage's "graphql" leaf; the strings written
 * into it are value leaves that the other analyzers judge):
 * - introspection, `__schema` or `__type(...)` asked for as fields: how tools map an API before
 *   attacking it. Client libraries add `__typename` to every selection, which is no introspection;
 * - batching by aliases, one mutation field asked for under many aliases in one request
 *   (`a0: login(...) a1: login(...) ...`): how one request tries thousands of passwords or one-time
 *   codes past a rate limit that counts requests.
 * Both are the reconnaissance and automation of an attack tool, the scanner class.
 */
import { Kind, type DocumentNode, type SelectionSetNode } from "graphql";
import { parseGraphql } from "../../decompose/body/graphql.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** One mutation field asked for this often in one operation is a batch, not a form being saved. */
const BATCH_ALIASES = 10;
const INTROSPECTION = /__schema\b|__type\s*\(/;
/** Selection sets nested deeper are not searched (the parser's token bound keeps documents far shallower in practice). */
const MAX_SELECTION_DEPTH = 64;

/**
 * Whether a mutation may hold a batch: each alias is written `alias:`, so a batch has at least
 * BATCH_ALIASES colons after the keyword. Ordinary mutations (a form saved) are not parsed again.
 */
function mayBatch(s: string, mutation: number): boolean {
  let colons = 0;
  for (let i = s.indexOf(":", mutation); i !== -1 && colons < BATCH_ALIASES; i = s.indexOf(":", i + 1)) colons++;
  return colons >= BATCH_ALIASES;
}

/** Whether a selection set, at any depth (fragments' own sets included), asks for an introspection field. */
function asksIntrospection(set: SelectionSetNode | undefined, depth = 0): boolean {
  if (!set || depth > MAX_SELECTION_DEPTH) return false;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD && (sel.name.value === "__schema" || sel.name.value === "__type")) return true;
    if (sel.kind !== Kind.FRAGMENT_SPREAD && asksIntrospection(sel.selectionSet, depth + 1)) return true;
  }
  return false;
}

/** The most times one field is asked for at the root of a mutation. */
function largestMutationBatch(doc: DocumentNode): number {
  let most = 0;
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION || def.operation !== "mutation") continue;
    const counts = new Map<string, number>();
    for (const sel of def.selectionSet.selections) {
      if (sel.kind !== Kind.FIELD) continue;
      const n = (counts.get(sel.name.value) ?? 0) + 1;
      counts.set(sel.name.value, n);
      most = Math.max(most, n);
    }
  }
  return most;
}

export const graphqlAnalyzer: Analyzer = {
  name: "graphql",
  analyze(input: AnalyzerInput): Finding[] {
    if (input.kind !== "graphql") return [];
    const s = input.text;
    const introspection = INTROSPECTION.exec(s);
    const mutation = s.indexOf("mutation");
    const batch = mutation !== -1 && mayBatch(s, mutation);
    if (!introspection && !batch) return [];
    const doc = parseGraphql(s);
    if (!doc) return [];
    const out: Finding[] = [];
    if (introspection && doc.definitions.some((d) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) && asksIntrospection(d.selectionSet))) {
      out.push(finding("scanner", "graphql.introspection", 0.85, introspection.index, introspection.index + introspection[0].length));
    }
    if (batch && largestMutationBatch(doc) >= BATCH_ALIASES) out.push(finding("scanner", "graphql.alias-batch", 0.85, mutation, s.length));
    return out;
  },
};
