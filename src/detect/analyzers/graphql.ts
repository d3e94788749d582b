/**
 * The GraphQL language itself (a document, the decompose stage's "graphql" leaf; the strings written
 * into it are value leaves that the other analyzers judge):
 * - introspection, `__schema` or `__type(...)` asked for as fields: how tools map an API before
 *   attacking it. Client libraries add `__typename` to every selection, which is no introspection;
 * - batching by aliases, one mutation field asked for under many aliases in one request
 *   (`a0: login(...) a1: login(...) ...`): how one request tries thousands of passwords or one-time
 *   codes past a rate limit that counts requests. APIs that check a secret in a query
 *   (`query { a0: checkPin(pin: "0000") ... }`) are batched alike: a query field counts when it takes a
 *   secret (guessesSecret); other queries batch by aliases in ordinary use (a page's products by id).
 * - batching by a JSON array of operations (`[{"query":"mutation { login(...) }"}, ...]`, the batch
 *   that Apollo's and other servers accept), the same mutation field (or query field checking a
 *   secret) in many of them: the same
 *   attempt, many operations to a request (a request-scope rule, `operationBatch`).
 * - a field nested in itself again and again (`friends{friends{...}}`, eight times), each level multiplying
 *   the work, and one directive repeated on a field (`@include(if:true)` ten times): queries written
 *   to exhaust the server, not to read data; so are fragments that spread themselves (a cycle) or
 *   multiply one another past a hundred thousand fields.
 * - one field asked for FIELD_REPEATS times in one selection set, as itself (`me { id id id ... }`) or
 *   under aliases (`q0: search(...) q1: search(...) ...`): one answer multiplied for its cost, which
 *   a client that reads the answer never writes (its aliases fetch different things, a few dozen at most);
 * - a mutation sent in a URL's query string: GraphQL over HTTP runs none from a GET, and no client
 *   sends one so; a link or an image that makes a browser send one is cross-site request forgery.
 * All are the reconnaissance and automation of an attack tool, the scanner class.
 */
import { Kind, type DocumentNode, type FieldNode, type SelectionSetNode } from "graphql";
import { parseGraphql } from "../../decompose/body/graphql.ts";
import { isReadingOf, type Leaf } from "../../decompose/leaf.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** One mutation field (or secret-checking query field) asked for this often in one operation is a batch, not a form being saved. */
const BATCH_ALIASES = 10;
/**
 * A field that checks a secret outright, three times in one request: a mutation whose own name says so
 * (`login`, `signIn`, `verifyOtp`), or a field whose name and an argument's both do (`checkPin(pin: …)`).
 * A client signs in or checks a code once an operation. A query field named so without such an argument
 * reads settings (`passwordPolicy`, `loginHistory`: a page's components may batch three), and one that
 * only takes such an argument names an account (GitHub's `user(login: …)`): those keep BATCH_ALIASES.
 */
const SECRET_BATCH_ALIASES = 3;
const INTROSPECTION = /__schema\b|__type\s*\(/;
/** Selection sets nested deeper are not searched (the parser's token bound keeps documents far shallower in practice). */
const MAX_SELECTION_DEPTH = 64;

/**
 * Whether a document may hold a batch: each alias is written `alias:`, so a batch has at least `needed`
 * colons after `from` (its `mutation` keyword or where a secret is named, whichever comes first).
 * Ordinary operations (a form saved) are not parsed again.
 */
function mayBatch(s: string, from: number, needed: number): boolean {
  let colons = 0;
  for (let i = s.indexOf(":", from); i !== -1 && colons < needed; i = s.indexOf(":", i + 1)) colons++;
  return colons >= needed;
}

/**
 * Words of a field's or argument's name that say it checks a secret: a password, a PIN, a one-time or
 * recovery code, a sign-in. Whole words of the name (camelCase and snake_case split): `hotProducts`
 * holds no `otp`, `boardingPass` no password.
 */
const SECRET_WORDS = new Set(["password", "passwd", "passcode", "passphrase", "pwd", "pin", "pincode", "otp", "totp", "mfa", "2fa", "login", "signin", "authenticate"]);
const SECRET_PAIRS = /\b(?:two factor|verification code|recovery code|secret answer|sign in|pin code|one time)\b/;

function namesSecret(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[\s_-]+/);
  return name.toLowerCase() === "pass" || words.some((w) => SECRET_WORDS.has(w)) || SECRET_PAIRS.test(words.join(" "));
}
/** The cheap check for a query that may batch fields naming a secret (a superset of namesSecret's words, any case). */
const NAMES_SECRET = /pass|pwd|pin|otp|mfa|2fa|factor|verification|recovery|secret|login|sign_?in|authenticate/i;

/** A field that checks a secret: its name says so, or one of its arguments'. */
function guessesSecret(field: FieldNode): boolean {
  return namesSecret(field.name.value) || (field.arguments ?? []).some((a) => namesSecret(a.name.value));
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

/** How often one field is asked for at an operation's root, and whether it checks a secret outright (SECRET_BATCH_ALIASES). */
interface Batched {
  n: number;
  checksSecret: boolean;
}

/**
 * How often each field is asked for at the root of one operation of the document, the most of any of
 * its operations (a document may hold many, of which a request runs one): every field of a mutation,
 * the fields of a query that check a secret.
 */
function batchedFieldCounts(doc: DocumentNode): Map<string, Batched> {
  const most = new Map<string, Batched>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION || def.operation === "subscription") continue;
    const counts = new Map<string, Batched>();
    for (const sel of def.selectionSet.selections) {
      if (sel.kind !== Kind.FIELD || !(def.operation === "mutation" || guessesSecret(sel))) continue;
      const name = sel.name.value;
      const checksSecret = namesSecret(name) && (def.operation === "mutation" || (sel.arguments ?? []).some((a) => namesSecret(a.name.value)));
      const seen = counts.get(name);
      if (seen) {
        seen.n++;
        seen.checksSecret ||= checksSecret;
      } else counts.set(name, { n: 1, checksSecret });
    }
    mergeBatched(most, counts, Math.max);
  }
  return most;
}

/** `from`'s fields added into `into`: counts joined by `join` (the most of one operation, or the sum across documents), a secret check kept if either saw one. */
function mergeBatched(into: Map<string, Batched>, from: Map<string, Batched>, join: (a: number, b: number) => number): void {
  for (const [field, c] of from) {
    const known = into.get(field);
    into.set(field, known ? { n: join(known.n, c.n), checksSecret: known.checksSecret || c.checksSecret } : { ...c });
  }
}

const largest = (counts: Map<string, number>) => Math.max(0, ...counts.values());

/** Whether one field is asked for often enough to be a batch. */
const isBatch = (counts: Map<string, Batched>) => [...counts.values()].some((c) => c.n >= (c.checksSecret ? SECRET_BATCH_ALIASES : BATCH_ALIASES));

/** One field this often on one path of nested selections is a cycle walked for its cost. */
const CYCLE_REPEATS = 8;
/**
 * Fields that nest by design: Relay's connections (`edges{node{...}}` at every level), and the edges of
 * trees a page walks down (a menu's `children`, a thread's `replies`, breadcrumbs' `parent`).
 */
const CONNECTION_FIELDS = new Set(["edges", "node", "nodes", "children", "parent", "parents", "replies", "comments", "childitems", "ancestors", "descendants", "subcategories", "items"]);
/** One directive this often on one field. */
const DIRECTIVE_REPEATS = 5;
/** One field this often in one selection set, as itself or under aliases. */
const FIELD_REPEATS = 50;

/** A GraphQL name. */
const WORD = /[_A-Za-z]\w*/g;

/** Whether some name comes FIELD_REPEATS times among `names`: stops as soon as one does. */
function someNameRepeats(names: Iterable<string>): boolean {
  const counts = new Map<string, number>();
  for (const name of names) {
    const n = (counts.get(name) ?? 0) + 1;
    if (n >= FIELD_REPEATS) return true;
    counts.set(name, n);
  }
  return false;
}

/** The cheap check: some word of the text comes FIELD_REPEATS times, as a field repeated so in one selection set needs. */
function mayRepeatField(s: string): boolean {
  return s.length >= FIELD_REPEATS * 2 && someNameRepeats(Iterator.from(s.matchAll(WORD)).map((m) => m[0]));
}

/** Whether a selection set asks for one field FIELD_REPEATS times (aliased or not). */
function repeatsField(set: SelectionSetNode): boolean {
  return someNameRepeats(set.selections.flatMap((sel) => (sel.kind === Kind.FIELD ? [sel.name.value] : [])));
}

/**
 * Whether fields repeat their ancestors' names CYCLE_REPEATS - 1 times on one path (one field nested
 * in itself eight times, `friends{friends{...}}`, or two taking turns, `posts{author{posts{...}}}`), or
 * one carries a directive DIRECTIVE_REPEATS times. `repeats`: how often the path so far repeated a name.
 */
function exhausting(set: SelectionSetNode | undefined, path: Map<string, number>, depth = 0, repeats = 0): "cycle" | "directives" | "fields" | null {
  if (!set || depth > MAX_SELECTION_DEPTH) return null;
  if (repeatsField(set)) return "fields";
  for (const sel of set.selections) {
    const directives = new Map<string, number>();
    for (const d of sel.directives ?? []) directives.set(d.name.value, (directives.get(d.name.value) ?? 0) + 1);
    if (largest(directives) >= DIRECTIVE_REPEATS) return "directives";
    if (sel.kind !== Kind.FIELD) {
      const inner = sel.kind === Kind.INLINE_FRAGMENT ? exhausting(sel.selectionSet, path, depth + 1, repeats) : null;
      if (inner) return inner;
      continue;
    }
    const name = sel.name.value;
    // A leaf that repeats an ancestor's name ends the path one repeat further.
    if (!sel.selectionSet) {
      if (path.has(name) && repeats + 1 >= CYCLE_REPEATS - 1) return "cycle";
      continue;
    }
    if (CONNECTION_FIELDS.has(name.toLowerCase())) {
      const inner = exhausting(sel.selectionSet, path, depth + 1, repeats);
      if (inner) return inner;
      continue;
    }
    const before = path.get(name) ?? 0;
    const total = repeats + (before > 0 ? 1 : 0);
    if (total >= CYCLE_REPEATS - 1) return "cycle";
    path.set(name, before + 1);
    const inner = exhausting(sel.selectionSet, path, depth + 1, total);
    if (before) path.set(name, before);
    else path.delete(name);
    if (inner) return inner;
  }
  return null;
}

/** Fields a document may ask for once its fragments are spread: beyond this, it was written to be expanded, not read. */
const MAX_EXPANDED_FIELDS = 100_000;

/** The fields a selection set asks for itself, and the fragments it spreads, counted. */
function fragmentUse(set: SelectionSetNode | undefined, spreads: Map<string, number>, depth = 0): number {
  if (!set || depth > MAX_SELECTION_DEPTH) return 0;
  let fields = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FRAGMENT_SPREAD) spreads.set(sel.name.value, (spreads.get(sel.name.value) ?? 0) + 1);
    else fields += (sel.kind === Kind.FIELD ? 1 : 0) + fragmentUse(sel.selectionSet, spreads, depth + 1);
  }
  return fields;
}

/**
 * Fragments that spread themselves, through others or directly (`fragment A on T { f { ...B } }
 * fragment B on T { g { ...A } }`), which the specification forbids and only a server that expands
 * before it validates walks for ever; or fragments that spread the one before twice, ten deep, a
 * thousand fields from a few lines (GraphQL's billion laughs). Either is written to exhaust a server.
 */
function fragmentBomb(doc: DocumentNode): "cycle" | "expansion" | null {
  const fragments = new Map<string, { fields: number; spreads: Map<string, number> }>();
  const operations: { fields: number; spreads: Map<string, number> }[] = [];
  for (const d of doc.definitions) {
    if (d.kind !== Kind.FRAGMENT_DEFINITION && d.kind !== Kind.OPERATION_DEFINITION) continue;
    const spreads = new Map<string, number>();
    const use = { fields: fragmentUse(d.selectionSet, spreads), spreads };
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, use);
    else operations.push(use);
  }
  const sizes = new Map<string, number>();
  const open = new Set<string>();
  let cycle = false;
  let tooDeep = false;
  const expanded = (use: { fields: number; spreads: Map<string, number> }): number => {
    let total = use.fields;
    for (const [spread, n] of use.spreads) total = Math.min(total + n * size(spread), Number.MAX_SAFE_INTEGER);
    return total;
  };
  // Fields asked for once a fragment is expanded; a fragment already being expanded is a cycle, and
  // fragments spread through more than MAX_SELECTION_DEPTH others are a chain no client writes.
  const size = (name: string): number => {
    const known = sizes.get(name);
    if (known !== undefined) return known;
    const f = fragments.get(name);
    if (!f) return 0;
    if (open.has(name)) {
      cycle = true;
      return 0;
    }
    if (open.size > MAX_SELECTION_DEPTH) {
      tooDeep = true;
      return 0;
    }
    open.add(name);
    const total = expanded(f);
    open.delete(name);
    sizes.set(name, total);
    return total;
  };
  let largestSize = 0;
  for (const name of fragments.keys()) largestSize = Math.max(largestSize, size(name));
  // What each operation asks for, its fragments expanded: a fragment spread many times under aliases.
  for (const op of operations) largestSize = Math.max(largestSize, expanded(op));
  if (cycle) return "cycle";
  return tooDeep || largestSize > MAX_EXPANDED_FIELDS ? "expansion" : null;
}

/** A field that opens a selection set: its name (from a word's start: a match begun inside one would be tried at every letter), arguments between. */
const OPENING_FIELD = /(?<!\w)([_A-Za-z]\w*)\s*(?:\([^(){}]*\)\s*)?\{/g;

/**
 * Cheap signs a document may nest a cycle or repeat a directive: field names opening a selection set
 * again CYCLE_REPEATS - 1 times in all (one name eight times, or two names four times each), or that
 * many `@`. Other documents are not parsed again.
 */
function mayExhaust(s: string): boolean {
  let ats = 0;
  for (let i = s.indexOf("@"); i !== -1 && ats < DIRECTIVE_REPEATS; i = s.indexOf("@", i + 1)) ats++;
  if (ats >= DIRECTIVE_REPEATS) return true;
  const opened = new Set<string>();
  let again = 0;
  for (const m of s.matchAll(OPENING_FIELD)) {
    if (CONNECTION_FIELDS.has(m[1]!.toLowerCase())) continue;
    if (opened.has(m[1]!)) {
      if (++again >= CYCLE_REPEATS - 1) return true;
    } else opened.add(m[1]!);
  }
  return false;
}

/**
 * The request-scope rule: one batched field (batchedFieldCounts) asked for often enough (isBatch) across a request's
 * documents (a JSON array batch; aliases in each add up). A document's decoded readings (`~js-escape`,
 * `~unpadded`) are that document again, not one more. The finding goes on the first document, the
 * whole of it its evidence.
 */
export function operationBatch(leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  const documents: number[] = [];
  let calls = 0;
  for (let at = 0; at < leaves.length; at++) {
    const { kind, text, path } = leaves[at]!;
    if (kind !== "graphql" || !(text.includes("mutation") || NAMES_SECRET.test(text))) continue;
    if (documents.length && isReadingOf(path, leaves[documents[documents.length - 1]!]!.path)) continue;
    documents.push(at);
    for (let i = text.indexOf("("); i !== -1 && calls < BATCH_ALIASES; i = text.indexOf("(", i + 1)) calls++;
  }
  // Only a batch of documents is read again, and only when it calls fields (with arguments) often enough.
  if (documents.length < 2 || calls < SECRET_BATCH_ALIASES) return [];
  const total = new Map<string, Batched>();
  for (const at of documents) {
    const doc = parseGraphql(leaves[at]!.text);
    if (doc) mergeBatched(total, batchedFieldCounts(doc), (a, b) => a + b);
  }
  if (!isBatch(total)) return [];
  const first = documents[0]!;
  return [{ at: first, finding: finding("scanner", "graphql.operation-batch", 0.85, 0, leaves[first]!.text.length) }];
}

const COST_RULES = { cycle: "graphql.cyclic-query", directives: "graphql.directive-overload", fields: "graphql.field-overload" } as const;

export const graphqlAnalyzer: Analyzer = {
  name: "graphql",
  analyze(input: AnalyzerInput): Finding[] {
    if (input.kind !== "graphql") return [];
    const s = input.text;
    const introspection = INTROSPECTION.exec(s);
    const mutation = s.indexOf("mutation");
    const secret = NAMES_SECRET.exec(s);
    // From the first of the two: a `# mutation` comment after a query's aliases must not hide them.
    const batchFrom = mutation === -1 ? (secret?.index ?? -1) : Math.min(mutation, secret?.index ?? mutation);
    const batch = batchFrom !== -1 && mayBatch(s, batchFrom, secret ? SECRET_BATCH_ALIASES : BATCH_ALIASES);
    const costly = mayExhaust(s) || mayRepeatField(s);
    const inUrl = input.location === "query" && mutation !== -1;
    // Only a document that defines fragments and spreads them can loop or multiply through them.
    const spreadsFragments = s.indexOf("fragment") !== -1 && s.indexOf("...") !== -1;
    if (!introspection && !batch && !costly && !spreadsFragments && !inUrl) return [];
    const doc = parseGraphql(s);
    if (!doc) return [];
    const out: Finding[] = [];
    if (introspection && doc.definitions.some((d) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) && asksIntrospection(d.selectionSet))) {
      out.push(finding("scanner", "graphql.introspection", 0.85, introspection.index, introspection.index + introspection[0].length));
    }
    // The whole operation from its keyword (a query's shorthand has none: the document) is the evidence.
    if (batch && isBatch(batchedFieldCounts(doc))) out.push(finding("scanner", "graphql.alias-batch", 0.85, Math.max(0, mutation), s.length));
    const cost = costly ? doc.definitions.map((d) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION ? exhausting(d.selectionSet, new Map()) : null)).find((c) => c) : null;
    if (cost) out.push(finding("scanner", COST_RULES[cost], 0.85, 0, s.length));
    if (inUrl && doc.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation")) {
      out.push(finding("scanner", "graphql.mutation-in-url", 0.85, mutation, s.length));
    }
    const bomb = spreadsFragments ? fragmentBomb(doc) : null;
    if (bomb) out.push(finding("scanner", bomb === "cycle" ? "graphql.fragment-cycle" : "graphql.fragment-expansion", 0.85, 0, s.length));
    return out;
  },
};
