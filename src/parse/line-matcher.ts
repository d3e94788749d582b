/**
 * Matches a line against a compiled `log_format` in time linear in the line, for every format.
 *
 * The JavaScript regex engine backtracks: `$host $upstream_addr $request_uri` (three lazy `.*?`
 * separated by spaces) costs it n³ steps on a line that almost matches, 44 s for a 1.4 KB line.
 * `runProgram` cannot do that (each instruction runs at most once per position) but is slower on
 * ordinary formats, so the regex is kept for the formats that provably cannot make it backtrack
 * super-linearly (`backtracksLinearly`), `combined` among them, and the program serves the rest.
 */
import {
  allClasses, compileProgram, firstClasses, nullable, overlaps, regexSource, runProgram,
  type CharClass, type Pattern, type Program,
} from "./pattern.ts";

/** One piece of a format: a literal, or a variable (captured). */
export interface FormatPart {
  pattern: Pattern;
  capture: boolean;
  /** The text of a literal piece. */
  literal?: string;
}

export interface LineMatch {
  /** The raw text of each variable. */
  values: string[];
  /** [start, end] of each variable, when asked for. */
  spans?: [number, number][];
}

export interface LineMatcher {
  /** Which engine: "regex" or "linear". */
  engine: "regex" | "linear";
  match(text: string, withSpans?: boolean): LineMatch | null;
  /** Where the first `count` parts, matched from the start of the line, end; -1 when they do not match. */
  prefixEnd(text: string, count: number): number;
}

// ---------------------------------------------------------------------------------------------
// When the regex engine is safe.
//
// A backtracking engine walks the runs of the pattern's automaton over prefixes of the line, so its
// work is linear when the number of runs reaching any state on any prefix is bounded. Weber and
// Seidl (1991, "On the degree of ambiguity of finite automata") show that it is unless the
// automaton has two loops on one word at a state (EDA) or a state p and a later state q that both
// loop on a word v which also leads from p to q (IDA). Here loops only live inside a variable:
// - EDA cannot happen when every loop inside a variable is deterministic (`deterministic`: what a
//   loop's body starts with never overlaps what may follow it, alternatives start differently);
// - IDA needs loops in two variables i < j, and cannot happen when leaving variable i's loops is
//   deterministic too (then the run that stays in the loop and the one that leaves part at once),
//   or when a literal between i and j holds a character that variable j's loops cannot read (v
//   contains it, so v cannot loop at q). In `combined`, `$remote_user` is `.*?`, but every later
//   loop is cut off from it by a `"` or a space it cannot read.

type Follow = { classes: CharClass[]; any: boolean };
const END: Follow = { classes: [], any: false };

const overlapsAny = (a: CharClass[], b: CharClass[]) => a.some((x) => b.some((y) => overlaps(x, y)));

/** What may come after `p`, given what comes after it. */
function followOf(p: Pattern, after: Follow): Follow {
  const first = firstClasses(p);
  return nullable(p) ? { classes: [...first, ...after.classes], any: after.any } : { classes: first, any: false };
}

/** Every choice in `p` (loop again or leave, which alternative) is decided by the next character. */
function deterministic(p: Pattern, after: Follow): boolean {
  switch (p.kind) {
    case "class": return true;
    case "seq": {
      let f = after;
      for (let k = p.items.length - 1; k >= 0; k--) {
        if (!deterministic(p.items[k]!, f)) return false;
        f = followOf(p.items[k]!, f);
      }
      return true;
    }
    case "alt":
      return p.options.every((o, i) =>
        !nullable(o) && deterministic(o, after) && p.options.slice(i + 1).every((other) => !overlapsAny(firstClasses(o), firstClasses(other))));
    case "star":
    case "opt": {
      const body = p.item;
      if (nullable(body) || after.any || overlapsAny(firstClasses(body), after.classes)) return false;
      return deterministic(body, p.kind === "star" ? { classes: [...firstClasses(body), ...after.classes], any: false } : after);
    }
  }
}

function hasLoop(p: Pattern): boolean {
  switch (p.kind) {
    case "class": return false;
    case "seq": return p.items.some(hasLoop);
    case "alt": return p.options.some(hasLoop);
    case "star": return true;
    case "opt": return hasLoop(p.item);
  }
}

/** The classes the loops of `p` read. */
function loopClasses(p: Pattern): CharClass[] {
  switch (p.kind) {
    case "class": return [];
    case "seq": return p.items.flatMap(loopClasses);
    case "alt": return p.options.flatMap(loopClasses);
    case "star": return allClasses(p.item);
    case "opt": return loopClasses(p.item);
  }
}

/** What may follow part i: the next literal's first character, the next variable, or the end. */
function followOfPart(parts: FormatPart[], i: number): Follow {
  const next = parts[i + 1];
  if (!next) return END;
  return followOf(next.pattern, nullable(next.pattern) ? { classes: [], any: true } : END);
}

/** The regex engine's work on this format is linear in the line length (see above). */
export function backtracksLinearly(parts: FormatPart[]): boolean {
  const loops = parts.flatMap((p, i) => (p.capture && hasLoop(p.pattern) ? [i] : []));
  for (const i of loops) {
    const { pattern } = parts[i]!;
    if (!deterministic(pattern, END)) return false;
    if (deterministic(pattern, followOfPart(parts, i))) continue;
    for (const j of loops.filter((j) => j > i)) {
      const readable = loopClasses(parts[j]!.pattern);
      const cut = parts.slice(i + 1, j).some((p) => [...(p.literal ?? "")].some((ch) => !readable.some((c) => c.has(ch.charCodeAt(0)))));
      if (!cut) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The two engines.

function regexMatcher(parts: FormatPart[]): LineMatcher {
  const sources = parts.map((p) => (p.capture ? `(${regexSource(p.pattern)})` : regexSource(p.pattern)));
  const full = new RegExp(`^${sources.join("")}$`);
  const withIndices = new RegExp(full.source, "d");
  const prefixes: RegExp[] = []; // built on the first failure only
  return {
    engine: "regex",
    match(text, withSpans = false) {
      const m = (withSpans ? withIndices : full).exec(text);
      if (!m) return null;
      const values = m.slice(1) as string[];
      return withSpans ? { values, spans: m.indices!.slice(1) as [number, number][] } : { values };
    },
    prefixEnd(text, count) {
      prefixes[count] ??= new RegExp(`^${sources.slice(0, count).join("")}`);
      return prefixes[count].exec(text)?.[0].length ?? -1;
    },
  };
}

function programMatcher(parts: FormatPart[]): LineMatcher {
  const full = compileProgram(parts, true);
  const prefixes: Program[] = [];
  return {
    engine: "linear",
    match(text, withSpans = false) {
      const m = runProgram(full, text);
      if (!m) return null;
      const values: string[] = [];
      const spans: [number, number][] = [];
      for (let k = 0; k < m.spans.length; k += 2) {
        values.push(text.slice(m.spans[k], m.spans[k + 1]));
        spans.push([m.spans[k]!, m.spans[k + 1]!]);
      }
      return withSpans ? { values, spans } : { values };
    },
    prefixEnd(text, count) {
      prefixes[count] ??= compileProgram(parts.slice(0, count), false);
      return runProgram(prefixes[count], text)?.end ?? -1;
    },
  };
}

/** The regex when it is safe for this format, the linear program otherwise. */
export function lineMatcher(parts: FormatPart[]): LineMatcher {
  return backtracksLinearly(parts) ? regexMatcher(parts) : programMatcher(parts);
}

/** The linear program whatever the format, for tests comparing the engines. */
export const linearMatcher = programMatcher;
