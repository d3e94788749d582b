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

export function attributeBreakoutHits(s: string): Hit[] {
  if (s.indexOf("=") === -1) return [];
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
