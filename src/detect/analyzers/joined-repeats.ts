/**
 * HTTP parameter pollution: a parameter sent several times, which ASP.NET (and IIS's classic ASP)
 * hands the application as one value, the values joined with `,`. A payload split across the repeats
 * passes a filter that judges each alone: `id=1/*&id=*\/UNION/*&id=*\/SELECT 1,2` is
 * `1/*,*\/UNION/*,*\/SELECT 1,2`. The joined value is judged as a value of its own; what it holds that
 * no repeat holds is the attack. Every site's repeats are joined, whatever serves it: the reading costs
 * little, and a payload split so is meant for the servers that join.
 */
import type { Leaf } from "../../decompose/leaf.ts";
import { PROOF_STRENGTH, type Finding } from "./finding.ts";

/**
 * Repeated names judged per request, and repeats joined per name: ASP.NET joins them all, but a
 * payload needs only a few, and the work stays linear in the request. A name that holds more is
 * joined from its first ones.
 */
const MAX_NAMES = 32;
const MAX_REPEATS = 16;

/**
 * A query's or a form's own parameter as the application reads it (not a reading of it, a key or a
 * nested value): a multipart form's fields are Request.Form's too.
 */
function isParameter(leaf: Leaf): boolean {
  if (leaf.kind !== "value" || (leaf.location !== "query" && leaf.location !== "body") || !leaf.path.endsWith(leaf.name)) return false;
  // Compared in place: a large body has tens of thousands of leaves, and most are none.
  const prefix = leaf.path.length - leaf.name.length;
  if (leaf.location === "query") return prefix === QUERY_PREFIX.length && leaf.path.startsWith(QUERY_PREFIX);
  return (prefix === FORM_PREFIX.length && leaf.path.startsWith(FORM_PREFIX)) || (prefix === MULTIPART_PREFIX.length && leaf.path.startsWith(MULTIPART_PREFIX));
}
const QUERY_PREFIX = "query.";
const FORM_PREFIX = "body.";
const MULTIPART_PREFIX = "body.multipart.";

export interface JoinedRepeats {
  /** The leaves of the parameter's values, in order. */
  repeats: number[];
  /** The values joined, as a leaf at the first one's place (`query.id~joined`). */
  leaf: Leaf;
}

/** Per parameter name sent more than once (ASP.NET matches names in any case), its values joined as ASP.NET joins them. */
export function joinedRepeats(leaves: readonly Leaf[]): JoinedRepeats[] {
  const byName = new Map<string, number[]>();
  let repeated = false;
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (!isParameter(leaf)) continue;
    const key = `${leaf.location}.${leaf.name.toLowerCase()}`;
    const ats = byName.get(key);
    if (!ats) byName.set(key, [at]);
    else {
      repeated = true;
      if (ats.length < MAX_REPEATS) ats.push(at);
    }
  }
  if (!repeated) return [];
  const out: JoinedRepeats[] = [];
  for (const repeats of byName.values()) {
    if (repeats.length < 2) continue;
    const first = leaves[repeats[0]!]!;
    out.push({ repeats, leaf: { ...first, path: `${first.path}~joined`, text: repeats.map((at) => leaves[at]!.text).join(",") } });
    if (out.length === MAX_NAMES) break;
  }
  return out;
}

/**
 * The request-scope findings: per joined value (`joinedFindings`, in `joined`'s order), its strongest
 * finding at proof strength in a class no repeat alone holds as strongly (`findings`, the leaves'), as
 * a finding of the first repeat that has text, its span that whole value (the evidence is spread over
 * all of them).
 */
export function pollutionFindings(leaves: readonly Leaf[], joined: readonly JoinedRepeats[], joinedFindings: readonly (readonly Finding[])[], findings: readonly (readonly Finding[])[]): { at: number; finding: Finding }[] {
  const out: { at: number; finding: Finding }[] = [];
  joined.forEach(({ repeats }, k) => {
    let best: Finding | null = null;
    for (const f of joinedFindings[k]!) {
      if (f.strength < PROOF_STRENGTH || (best && best.strength >= f.strength)) continue;
      if (repeats.some((at) => findings[at]!.some((r) => r.class === f.class && r.strength >= f.strength))) continue;
      best = f;
    }
    if (!best) return;
    const at = repeats.find((r) => leaves[r]!.text.length > 0) ?? repeats[0]!;
    out.push({ at, finding: { class: best.class, rule: "params.joined-repeats", strength: best.strength, start: 0, end: leaves[at]!.text.length } });
  });
  return out;
}
