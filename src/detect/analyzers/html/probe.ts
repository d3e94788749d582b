/**
 * A reflection probe: `<`, `>` and both quotes strung together (`<'">`, `'"><`), drawn to see which
 * of them a page writes back unescaped before a scanner sends its markup (sqlmap's heuristic check
 * appends `<'">` to every parameter; active scanners send the same four). No text or markup strings
 * all four together; code does only inside a regular expression's character class (`/[&<>"']/g`),
 * which a bracket around the run shows, and prose only to name them (`escape <>'" first`), which a
 * short value does not do: a probe rides on a parameter's usual value, a few words at most.
 */
import type { Hit } from "./attributes.ts";

const PROBE_CHARS = new Set(["<", ">", "'", '"']);
/** The longest run read: a probe is the four characters once each, a few repeated at most. */
const MAX_RUN = 8;
/** The longest value a probe is looked for in. */
const MAX_VALUE = 128;

export function reflectionProbeHits(s: string): Hit[] {
  if (s.length > MAX_VALUE) return [];
  for (let at = s.indexOf("<"); at !== -1; at = s.indexOf("<", at + 1)) {
    let start = at;
    while (start > 0 && at - start < MAX_RUN && PROBE_CHARS.has(s[start - 1]!)) start--;
    let end = at + 1;
    while (end < s.length && end - start < MAX_RUN && PROBE_CHARS.has(s[end]!)) end++;
    const run = s.slice(start, end);
    if (!(run.includes(">") && run.includes("'") && run.includes('"'))) continue;
    if (/[[&\\]/.test(s[start - 1] ?? "") || s[end] === "]") continue;
    return [{ construct: "reflection-probe", strength: 0.85, start, end }];
  }
  return [];
}
