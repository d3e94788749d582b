/**
 * The small regular expressions a `log_format` compiles to, kept as a tree so that one description
 * gives both the JavaScript regex (fast, but backtracking) and a program for `runProgram`, a
 * matcher that is linear in the line length for any pattern (see log-format.ts for which is used).
 */

/** A set of UTF-16 code units, as a regex class (`\d`, `[^"]`, `.`) or one literal character. */
export class CharClass {
  private table: Uint8Array | null = null;
  /** `only`: the one code unit of a literal character. */
  constructor(readonly source: string, readonly only?: number) {}

  private single: RegExp | null = null;

  has(code: number): boolean {
    if (this.only !== undefined) return code === this.only;
    if (this.table) return this.table[code] === 1;
    // The format analysis asks about a few characters only: no need for the whole table.
    return (this.single ??= new RegExp(`^${this.source}$`)).test(String.fromCharCode(code));
  }

  /** 1 at each code unit in the class. */
  members(): Uint8Array {
    return (this.table ??= classTable(this.source));
  }
}

/** Every UTF-16 code unit, in order, built on first use. */
let allCodeUnits: string | null = null;

/** Every code unit the regex class matches, asked of the regex engine itself so both agree. */
function classTable(source: string): Uint8Array {
  if (allCodeUnits === null) {
    const units = new Uint16Array(0x10000).map((_, i) => i);
    const chunks: string[] = [];
    for (let from = 0; from < 0x10000; from += 0x1000) chunks.push(String.fromCharCode(...units.subarray(from, from + 0x1000)));
    allCodeUnits = chunks.join("");
  }
  const table = new Uint8Array(0x10000);
  const re = new RegExp(source, "y");
  for (let i = 0; i < 0x10000; i++) {
    re.lastIndex = i;
    if (re.test(allCodeUnits)) table[i] = 1;
  }
  return table;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export type Pattern =
  | { kind: "class"; cls: CharClass }
  | { kind: "seq"; items: Pattern[] }
  | { kind: "alt"; options: Pattern[] }
  /** `x*`, `x*?` (lazy) or `x+`. */
  | { kind: "star"; item: Pattern; lazy: boolean; min: 0 | 1 }
  | { kind: "opt"; item: Pattern };

export const cls = (source: string): Pattern => ({ kind: "class", cls: new CharClass(source) });
export const lit = (text: string): Pattern =>
  seq(...text.split("").map((u): Pattern => ({ kind: "class", cls: new CharClass(escapeRegex(u), u.charCodeAt(0)) })));
export const seq = (...items: Pattern[]): Pattern => (items.length === 1 ? items[0]! : { kind: "seq", items });
export const alt = (...options: Pattern[]): Pattern => ({ kind: "alt", options });
export const star = (item: Pattern): Pattern => ({ kind: "star", item, lazy: false, min: 0 });
export const lazyStar = (item: Pattern): Pattern => ({ kind: "star", item, lazy: true, min: 0 });
export const plus = (item: Pattern): Pattern => ({ kind: "star", item, lazy: false, min: 1 });
export const opt = (item: Pattern): Pattern => ({ kind: "opt", item });
export const times = (item: Pattern, n: number): Pattern => seq(...Array.from({ length: n }, () => item));

/** The JavaScript regex source; alternations are wrapped so they can be concatenated. */
export function regexSource(p: Pattern): string {
  switch (p.kind) {
    case "class": return p.cls.source;
    case "seq": return p.items.map(regexSource).join("");
    case "alt": return `(?:${p.options.map(regexSource).join("|")})`;
    case "star": return `${atom(p.item)}${p.min ? "+" : "*"}${p.lazy ? "?" : ""}`;
    case "opt": return `${atom(p.item)}?`;
  }
}

function atom(p: Pattern): string {
  return p.kind === "class" || p.kind === "alt" ? regexSource(p) : `(?:${regexSource(p)})`;
}

export function nullable(p: Pattern): boolean {
  switch (p.kind) {
    case "class": return false;
    case "seq": return p.items.every(nullable);
    case "alt": return p.options.some(nullable);
    case "star": return p.min === 0 || nullable(p.item);
    case "opt": return true;
  }
}

/** The classes a match of `p` can start with. */
export function firstClasses(p: Pattern): CharClass[] {
  switch (p.kind) {
    case "class": return [p.cls];
    case "seq": {
      const out: CharClass[] = [];
      for (const item of p.items) {
        out.push(...firstClasses(item));
        if (!nullable(item)) break;
      }
      return out;
    }
    case "alt": return p.options.flatMap(firstClasses);
    case "star":
    case "opt": return firstClasses(p.item);
  }
}

/** Every class used anywhere in `p`. */
export function allClasses(p: Pattern): CharClass[] {
  switch (p.kind) {
    case "class": return [p.cls];
    case "seq": return p.items.flatMap(allClasses);
    case "alt": return p.options.flatMap(allClasses);
    case "star":
    case "opt": return allClasses(p.item);
  }
}

/** Some code unit is in both classes. */
export function overlaps(a: CharClass, b: CharClass): boolean {
  if (a.only !== undefined) return b.has(a.only);
  if (b.only !== undefined) return a.has(b.only);
  const x = a.members(), y = b.members();
  for (let c = 0; c < 0x10000; c++) if (x[c]! & y[c]!) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// The linear matcher: a program run by backtracking with memoization (RE2's "BitState").

/** CHAR: one character, the literal `a`; CLASS: one character of class `a`. */
const CHAR = 0, CLASS = 1, SPLIT = 2, JMP = 3, SAVE = 4, MATCH = 5;

export interface Program {
  op: Int32Array;
  a: Int32Array;
  b: Int32Array;
  /** The members of each class (CharClass.members). */
  classes: Uint8Array[];
  /** Per instruction, its index among the instructions reached in more than one way, or -1. */
  join: Int32Array;
  joins: number;
  slots: number;
}

/**
 * Compiles `parts` (each a pattern, captured as group i when `capture` is set) into a program that
 * matches from the start of the text, to its end when `toEnd`.
 */
export function compileProgram(parts: { pattern: Pattern; capture: boolean }[], toEnd: boolean): Program {
  const op: number[] = [], a: number[] = [], b: number[] = [];
  const classes: Uint8Array[] = [];
  const emit = (o: number, x = 0, y = 0) => (op.push(o), a.push(x), b.push(y), op.length - 1);
  const emitPattern = (p: Pattern): void => {
    switch (p.kind) {
      case "class":
        if (p.cls.only !== undefined) emit(CHAR, p.cls.only);
        else emit(CLASS, classes.push(p.cls.members()) - 1);
        return;
      case "seq": p.items.forEach(emitPattern); return;
      case "alt": {
        const jumps: number[] = [];
        p.options.forEach((option, i) => {
          const split = i < p.options.length - 1 ? emit(SPLIT) : -1;
          if (split >= 0) a[split] = op.length;
          emitPattern(option);
          jumps.push(emit(JMP));
          if (split >= 0) b[split] = op.length;
        });
        for (const j of jumps) a[j] = op.length;
        return;
      }
      case "star": {
        if (p.min) emitPattern(p.item);
        const loop = emit(SPLIT);
        const body = op.length;
        emitPattern(p.item);
        emit(JMP, loop);
        // Lazy prefers to leave the loop, greedy to go round once more.
        if (p.lazy) { a[loop] = op.length; b[loop] = body; } else { a[loop] = body; b[loop] = op.length; }
        return;
      }
      case "opt": {
        const split = emit(SPLIT, op.length + 1);
        emitPattern(p.item);
        b[split] = op.length;
        return;
      }
    }
  };
  let slot = 0;
  for (const part of parts) {
    if (part.capture) emit(SAVE, slot++);
    emitPattern(part.pattern);
    if (part.capture) emit(SAVE, slot++);
  }
  emit(MATCH, toEnd ? 1 : 0);

  // An instruction reached in one way only is run at most once per position if its predecessor
  // is; so remembering the visits of the others (loop heads, ends of alternations) is enough.
  const incoming = new Int32Array(op.length);
  incoming[0] = 1;
  for (let pc = 0; pc < op.length; pc++) {
    if (op[pc] === CHAR || op[pc] === CLASS || op[pc] === SAVE) incoming[pc + 1]!++;
    else if (op[pc] === SPLIT) { incoming[a[pc]!]!++; incoming[b[pc]!]!++; }
    else if (op[pc] === JMP) incoming[a[pc]!]!++;
  }
  const join = new Int32Array(op.length).fill(-1);
  let joins = 0;
  for (let pc = 0; pc < op.length; pc++) if (incoming[pc]! > 1) join[pc] = joins++;
  return { op: Int32Array.from(op), a: Int32Array.from(a), b: Int32Array.from(b), classes, join, joins, slots: slot };
}

export interface ProgramMatch {
  /** Start and end of each captured part: [start0, end0, start1, end1, ...]. */
  spans: Int32Array;
  /** Where the match ends. */
  end: number;
}

/**
 * Counts the instructions run, for tests. Each instruction runs at most once per position, and a
 * join is only arrived at from those runs, so a call takes at most 2 × program length × (text
 * length + 1) steps.
 */
export interface Work {
  steps: number;
  /** Give up (no match) after this many steps. */
  maxSteps?: number;
}

/**
 * The first match in the order a backtracking regex engine would find it (so the same captures as
 * the JavaScript regex), in time linear in the text: an instruction is never run twice at the same
 * position, because a (join, position) pair already visited has already failed. `memo: false`
 * turns that off, which is how the JavaScript engine runs: tests use it to count its work.
 */
export function runProgram(prog: Program, text: string, work?: Work, memo = true): ProgramMatch | null {
  const { op, a, b, classes, join } = prog;
  const n = text.length;
  const width = n + 1;
  const visited = new Uint8Array(memo ? Math.ceil((prog.joins * width) / 8) : 0);
  const spans = new Int32Array(prog.slots).fill(-1);
  const maxSteps = work?.maxSteps ?? Infinity;
  // Jobs: [pc, pos] to try, or [-1 - slot, old value] to undo a SAVE when backtracking past it.
  let stack = new Int32Array(64);
  let top = 0;
  const push = (x: number, y: number) => {
    if (top + 2 > stack.length) {
      const bigger = new Int32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack[top++] = x;
    stack[top++] = y;
  };
  let steps = 0;
  push(0, 0);
  try {
    while (top > 0) {
      let pos = stack[--top]!;
      let pc = stack[--top]!;
      if (pc < 0) {
        spans[-1 - pc] = pos;
        continue;
      }
      for (;;) {
        if (++steps > maxSteps) return null;
        const j = join[pc]!;
        if (memo && j >= 0) {
          const bit = j * width + pos;
          if (visited[bit >> 3]! & (1 << (bit & 7))) break;
          visited[bit >> 3]! |= 1 << (bit & 7);
        }
        const o = op[pc]!;
        if (o === CHAR) {
          if (text.charCodeAt(pos) === a[pc]) { pc++; pos++; continue; } // NaN past the end
          break;
        } else if (o === CLASS) {
          if (pos < n && classes[a[pc]!]![text.charCodeAt(pos)] === 1) { pc++; pos++; continue; }
          break;
        } else if (o === SPLIT) {
          push(b[pc]!, pos);
          pc = a[pc]!;
        } else if (o === JMP) {
          pc = a[pc]!;
        } else if (o === SAVE) {
          push(-1 - a[pc]!, spans[a[pc]!]!);
          spans[a[pc]!] = pos;
          pc++;
        } else {
          if (a[pc] && pos !== n) break;
          return { spans, end: pos };
        }
      }
    }
    return null;
  } finally {
    if (work) work.steps += steps;
  }
}
