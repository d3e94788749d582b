/**
 * What a semantic analyzer says about one value: the attack class it recognised, the construct that
 * proved it (a rule id), how sure it is on its own, and the exact span of the text that is the evidence.
 * Analyzers are plain functions of a value and its context; they never see the rest of the request
 * (the one rule that needs it, a session id from another site, runs after them: index.ts).
 */
import type { AttackClass } from "../classes.ts";
import type { Leaf } from "../../decompose/leaf.ts";

export interface Finding {
  class: AttackClass;
  /** A stable id of the construct, `<analyzer>.<construct>`: `sql.union-select`, `xss.event-handler`. A model feature. */
  rule: string;
  /** 0..1: how much this construct alone means an attack (1 = valid attack syntax that benign text never has). */
  strength: number;
  /** Evidence: [start, end) in the analyzed text. */
  start: number;
  end: number;
}

/**
 * A finding this strong is proof on its own: a construct of the target language that benign values do
 * not have (measured: no benign request of the shared sets has an unflagged one). The combiner weighs
 * it with the rest of the value, and may score it higher, never below the threshold
 * (src/detect/generic/proof.ts): character n-grams learn what training lists look like, and must not
 * talk a parsed attack down.
 */
export const PROOF_STRENGTH = 0.85;

/** The strongest finding (of a class, when given; the first of equals). */
export function strongest(findings: readonly Finding[], cls?: string): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings) if ((cls === undefined || f.class === cls) && (!best || f.strength > best.strength)) best = f;
  return best;
}

/** What an analyzer sees: the leaf's text and where it sat. */
export type AnalyzerInput = Pick<Leaf, "text" | "location" | "path" | "name" | "kind">;

export interface Analyzer {
  /** Short name, the prefix of its rule ids. */
  name: string;
  /** Must be linear in the text's length (no cut: a value is judged whole), with a cheap check first. */
  analyze(input: AnalyzerInput): Finding[];
  /**
   * Whether it must see identifiers too (UUIDs, runs of 16+ hex digits: session ids, hashes). Most
   * languages have no attack made of hex digits alone, so the others are spared those values, which
   * are most of what real traffic has never sent before; a serialized object written in hex is one.
   */
  readsIdentifiers?: boolean;
}
