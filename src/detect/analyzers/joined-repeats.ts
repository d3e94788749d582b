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
  // Most requests repeat no name: nothing is grouped until one is seen twice.
  const keys: string[] = [];
  const params: number[] = [];
  const seen = new Set<string>();
  let repeated = false;
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (!isParameter(leaf)) continue;
    const key = `${leaf.location}.${leaf.name.toLowerCase()}`;
    repeated ||= seen.has(key);
    seen.add(key);
    keys.push(key);
    params.push(at);
  }
  if (!repeated) return [];
  const byName = new Map<string, number[]>();
  params.forEach((at, k) => {
    const ats = byName.get(keys[k]!);
    if (!ats) byName.set(keys[k]!, [at]);
    else if (ats.length < MAX_REPEATS) ats.push(at);
  });
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
 * The joined value's strongest finding at proof strength in a class no repeat alone holds as strongly,
 * as a finding of the first repeat that has text (its span that whole value: the evidence is spread
 * over all of them); null when there is none.
 */
export function pollutionFinding(joined: readonly Finding[], repeats: readonly (readonly Finding[])[]): Finding | null {
  let best: Finding | null = null;
  for (const f of joined) {
    if (f.strength < PROOF_STRENGTH || (best && best.strength >= f.strength)) continue;
    if (repeats.some((found) => found.some((r) => r.class === f.class && r.strength >= f.strength))) continue;
    best = f;
  }
  return best && { class: best.class, rule: "params.joined-repeats", strength: best.strength, start: 0, end: 0 };
}
