/** Leaf-shaped inputs for the protocol analyzers' tests. */
import type { Analyzer, AnalyzerInput, Finding } from "../../../src/detect/analyzers/finding.ts";

export function leaf(text: string, over: Partial<AnalyzerInput> = {}): AnalyzerInput {
  const name = over.name ?? "q";
  return { text, location: "query", path: `query.${name}`, name, kind: "value", ...over };
}

/** The strongest finding's strength (0 when none). */
export function strongest(analyzer: Analyzer, input: AnalyzerInput): number {
  return analyzer.analyze(input).reduce((m, f) => Math.max(m, f.strength), 0);
}

export function rules(analyzer: Analyzer, input: AnalyzerInput): string[] {
  return analyzer.analyze(input).map((f) => f.rule);
}

/** Every finding's span lies inside the text and is not empty. */
export function spansValid(findings: Finding[], text: string): boolean {
  return findings.every((f) => f.start >= 0 && f.end <= text.length && f.start < f.end);
}

/** A megabyte of text, and bytes that are no text at all: what an analyzer must survive. */
export const HUGE = "a".repeat(1 << 20);
export function junk(seed = 7, length = 50_000): string {
  let x = seed;
  let s = "";
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += String.fromCharCode(x % 0x10000 >= 0xd800 && x % 0x10000 < 0xe000 ? x % 256 : x % 0x10000);
  }
  return s;
}
