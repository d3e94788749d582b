/** Test helpers for the semantic analyzers: run one on a value placed somewhere, read its strongest finding. */
import type { Analyzer, AnalyzerInput, Finding } from "../../../src/detect/analyzers/finding.ts";

export function input(text: string, over: Partial<AnalyzerInput> = {}): AnalyzerInput {
  return { text, location: "query", path: "query.q", name: "q", kind: "value", ...over };
}

/** The strongest finding, or null. */
export function strongest(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): Finding | null {
  let best: Finding | null = null;
  for (const f of a.analyze(input(text, over))) if (!best || f.strength > best.strength) best = f;
  return best;
}

/** Strength of the strongest finding (0 when none). */
export function strength(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): number {
  return strongest(a, text, over)?.strength ?? 0;
}

/** The text the strongest finding points at. */
export function evidence(a: Analyzer, text: string, over: Partial<AnalyzerInput> = {}): string | null {
  const f = strongest(a, text, over);
  return f ? text.slice(f.start, f.end) : null;
}

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
