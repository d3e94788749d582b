/** Test helpers for the semantic analyzers: run one on a value placed somewhere, read its findings. */
import type { Analyzer, AnalyzerInput, Finding } from "../../../src/detect/analyzers/finding.ts";

/** A query value `q` (path `query.q` whatever the overrides, unless `path` is given). */
export function input(text: string, over: Partial<AnalyzerInput> = {}): AnalyzerInput {
  return { text, location: "query", path: "query.q", name: "q", kind: "value", ...over };
}

/** A query value whose path follows its name (`query.<name>`, unless `path` is given). */
export function leaf(text: string, over: Partial<AnalyzerInput> = {}): AnalyzerInput {
  const name = over.name ?? "q";
  return { text, location: "query", path: `query.${name}`, name, kind: "value", ...over };
}

/** The strongest finding, or null. */
export function strongest(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): Finding | null {
  let best: Finding | null = null;
  for (const f of a.analyze(input(text, over))) if (!best || f.strength > best.strength) best = f;
  return best;
}

/** The strongest finding's strength on a built input (0 when none). */
export function maxStrength(a: Analyzer, at: AnalyzerInput): number {
  return a.analyze(at).reduce((m, f) => Math.max(m, f.strength), 0);
}

/** Strength of the strongest finding (0 when none). */
export function strength(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): number {
  return maxStrength(a, input(text, over));
}

/** The text the strongest finding points at. */
export function evidence(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): string | null {
  const f = strongest(a, text, over);
  return f ? text.slice(f.start, f.end) : null;
}

/** Every finding's rule, in order. */
export function rules(a: Analyzer, at: AnalyzerInput): string[] {
  return a.analyze(at).map((f) => f.rule);
}

/** Every finding's span lies inside the text and is not empty. */
export function spansValid(findings: Finding[], text: string): boolean {
  return findings.every((f) => f.start >= 0 && f.end <= text.length && f.start < f.end);
}

/** A megabyte of text: what an analyzer must survive. */
export const HUGE = "a".repeat(1 << 20);

/** Random bytes as text (a binary upload read as Latin-1), deterministic. */
export function junk(length: number, seed = 7): string {
  let x = seed;
  let s = "";
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += String.fromCharCode((x >>> 16) & 0xff);
  }
  return s;
}

/** Random UTF-16 code units (lone surrogates replaced by a byte), deterministic: text that is no text at all. */
export function wideJunk(seed = 7, length = 50_000): string {
  let x = seed;
  let s = "";
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += String.fromCharCode(x % 0x10000 >= 0xd800 && x % 0x10000 < 0xe000 ? x % 256 : x % 0x10000);
  }
  return s;
}
