/**
 * HTTP parameter pollution: a parameter sent several times, which ASP.NET (and IIS's classic ASP)
 * hands the application as one value, the values joined with `,`. A payload split across the repeats
 * passes a filter that judges each alone: `id=1/*&id=*\/UNION/*&id=*\/SELECT 1,2` is
 * `1/*,*\/UNION/*,*\/SELECT 1,2`. The joined value is judged as a value of its own; what it holds that
 * no repeat holds is the attack.
 */
import type { Leaf } from "../../decompose/leaf.ts";
import { PROOF_STRENGTH, strongest, type Finding } from "./finding.ts";

/** Repeated names judged per request, values per name, and the longest joined value. */
const MAX_NAMES = 8;
const MAX_REPEATS = 16;
const MAX_JOINED = 4096;

/** A query's or a form's own parameter as the application reads it (not a reading of it, a key or a nested value). */
function isParameter(leaf: Leaf): boolean {
  return leaf.kind === "value" && (leaf.location === "query" || leaf.location === "body") && leaf.path === `${leaf.location}.${leaf.name}`;
}

export interface JoinedRepeats {
  /** The leaves of the parameter's values, in order. */
  repeats: number[];
  /** The values joined, as a leaf at the first one's place (`query.id~joined`). */
  leaf: Leaf;
}

/** Per parameter name sent more than once, its values joined as ASP.NET joins them. */
export function joinedRepeats(leaves: readonly Leaf[]): JoinedRepeats[] {
  const byName = new Map<string, number[]>();
  leaves.forEach((leaf, at) => {
    if (!isParameter(leaf)) return;
    const key = `${leaf.location}.${leaf.name}`;
    const ats = byName.get(key);
    if (ats) ats.push(at);
    else byName.set(key, [at]);
  });
  const out: JoinedRepeats[] = [];
  for (const repeats of byName.values()) {
    if (repeats.length < 2 || repeats.length > MAX_REPEATS) continue;
    const text = repeats.map((at) => leaves[at]!.text).join(",");
    if (text.length > MAX_JOINED) continue;
    const first = leaves[repeats[0]!]!;
    out.push({ repeats, leaf: { ...first, path: `${first.path}~joined`, text } });
    if (out.length === MAX_NAMES) break;
  }
  return out;
}

/**
 * The joined value's strongest finding at proof strength, as a finding of the first repeat (its span
 * the whole of that value: the evidence is spread over all of them), unless a repeat alone already
 * has one as strong in its class.
 */
export function pollutionFinding(joined: readonly Finding[], repeats: readonly (readonly Finding[])[], firstLength: number): Finding | null {
  const best = strongest(joined);
  if (!best || best.strength < PROOF_STRENGTH) return null;
  if (repeats.some((found) => found.some((f) => f.class === best.class && f.strength >= best.strength))) return null;
  return { class: best.class, rule: "params.joined-repeats", strength: best.strength, start: 0, end: firstLength };
}
