/**
 * Cross-site scripting, judged as a browser would run it: new markup that runs script or loads
 * content (html/markup.ts), a value breaking out of an attribute into a handler (html/breakout.ts),
 * a bare `javascript:`/`data:` URL, and JavaScript however spelled, in a script context or after
 * closing a string (js/check.ts). Every finding carries its span in the value.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { markupHits } from "./html/markup.ts";
import { attributeBreakoutHits } from "./html/breakout.ts";
import type { Hit } from "./html/attributes.ts";
import { isNoOpScript, scriptUrl } from "./html/url-scheme.ts";
import { checkJs } from "./js/check.ts";

/** Without one of these characters no markup, URL scheme, call or breakout is possible. */
const MAY_HOLD_SCRIPT = /[<(`{:=[]/;

/** Findings weaker than this are noise, not features. */
const MIN_STRENGTH = 0.3;

/** A value that is itself a script URL, as a link or redirect parameter would carry it. */
function bareUrlHits(s: string): Hit[] {
  const url = scriptUrl(s, true);
  if (!url) return [];
  const span = { start: 0, end: s.length };
  if (url.scheme === "javascript") {
    const exec = checkJs(url.body, 0, url.body.length, "script").some((h) => h.strength >= 0.9);
    if (!exec && !url.obfuscated && isNoOpScript(url.body)) return [];
    return [{ construct: "script-url", strength: exec ? 0.9 : url.obfuscated ? 0.8 : 0.5, ...span }];
  }
  if (url.scheme === "vbscript") return [{ construct: "script-url", strength: 0.8, ...span }];
  const inner = markupHits(url.body, 1).reduce((m, h) => Math.max(m, h.strength), 0);
  return [{ construct: "data-url", strength: Math.max(inner, url.scheme === "data-html" ? 0.7 : 0.5), ...span }];
}

function toFindings(hits: Hit[]): Finding[] {
  const best = new Map<string, Finding>();
  for (const h of hits) {
    if (h.strength < MIN_STRENGTH) continue;
    const key = `${h.construct}:${h.start}:${h.end}`;
    const strength = Math.round(h.strength * 100) / 100;
    const prev = best.get(key);
    if (!prev || prev.strength < strength) best.set(key, { class: "xss", rule: `html.${h.construct}`, strength, start: h.start, end: h.end });
  }
  return [...best.values()];
}

export const htmlAnalyzer: Analyzer = {
  name: "html",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    if (!MAY_HOLD_SCRIPT.test(s)) return [];
    const js = checkJs(s, 0, s.length, "bare").map((h) => ({ ...h, construct: `js-${h.construct}` }));
    return toFindings([...markupHits(s), ...attributeBreakoutHits(s), ...bareUrlHits(s), ...js]);
  },
};
