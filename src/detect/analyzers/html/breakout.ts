/**
 * A value reflected inside a tag's attribute needs no `<` to inject: `" onmouseover="alert(1)`
 * closes the quoted value and adds a handler; `x onerror=alert(1)` does it to an unquoted one.
 * The value is read as the rest of a tag from just after its first quote, and from its start.
 */
import { scanAttributes } from "./tokenizer.ts";
import { attributeHits, type Hit } from "./attributes.ts";

/** Attributes worth reading outside a tag: handlers, script-bearing URLs and styles. */
function interesting(name: string): boolean {
  return name.startsWith("on") || name === "style" || name === "href" || name === "src" || name === "formaction" || name === "action" || name === "xlink:href";
}

/** Characters after which the tokenizer may start an attribute name: spaces, `/`, NUL, a closing quote. */
const BEFORE_NAME = new Uint8Array(128);
for (const c of [9, 10, 11, 12, 13, 32, 47, 0, 34, 39, 96]) BEFORE_NAME[c] = 1;

/** What an interesting name starts with (`xlin`: a Kelvin sign lower-cases to the `k` of `xlink:href`). */
const INTERESTING_STARTS = ["on", "style", "href", "src", "action", "formaction", "xlin"];
/** Their first letters: a name starting with another cannot match one, and most words are passed over on it. */
const INTERESTING_FIRST = new Uint8Array(128);
for (const start of INTERESTING_STARTS) INTERESTING_FIRST[start.charCodeAt(0)] = 1;

/** Does s[at...] start with `prefix` (lower-case ASCII), ASCII case ignored? */
function startsFolded(s: string, at: number, prefix: string): boolean {
  for (let p = 0; p < prefix.length; p++) {
    const c = s.charCodeAt(at + p);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== prefix.charCodeAt(p)) return false;
  }
  return true;
}

/**
 * Can the tokenizer read an interesting attribute name anywhere in s? Names start only after the
 * characters above, so one pass spares tokenizing every word of ordinary text. The tokenizer drops a
 * NUL inside a name (`o\0nerror`): a value with one is always read.
 */
function mayNameInteresting(s: string): boolean {
  if (s.indexOf("\0") !== -1) return true;
  for (let i = 1; i < s.length; i++) {
    const prev = s.charCodeAt(i - 1);
    if (!(prev < 128 && BEFORE_NAME[prev] === 1)) continue;
    const c = s.charCodeAt(i);
    const first = c >= 65 && c <= 90 ? c + 32 : c;
    if (first < 128 && INTERESTING_FIRST[first] === 1) for (const start of INTERESTING_STARTS) if (startsFolded(s, i, start)) return true;
  }
  return false;
}

export function attributeBreakoutHits(s: string): Hit[] {
  if (s.indexOf("=") === -1 || !mayNameInteresting(s)) return [];
  const out: Hit[] = [];
  for (const q of ['"', "'"]) {
    const at = s.indexOf(q);
    if (at === -1) continue;
    for (const a of scanAttributes(s, at + 1, s.length)[0]) if (interesting(a.name)) attributeHits(a, "", "breakout", out);
  }
  // Unquoted context: only an attribute that follows a space or slash, as a new attribute would.
  const [bare] = scanAttributes(s, 0, s.length);
  for (const a of bare) {
    if (a.start === 0 || !interesting(a.name)) continue;
    const before: Hit[] = [];
    attributeHits(a, "", "breakout", before);
    // Without a quote the value is as likely prose: only script that runs counts, and what is not
    // proof on its own (a handler that merely calls something) counts less.
    for (const h of before) if (h.strength >= 0.8) out.push({ ...h, strength: h.strength >= 0.9 ? h.strength : h.strength - 0.1 });
  }
  return out;
}
