/**
 * Cross-site scripting, judged as a browser would run it: new markup that runs script or loads
 * content (html/markup.ts), a value breaking out of an attribute into a handler (html/breakout.ts),
 * a bare or embedded `javascript:`/`data:` URL, markup in another charset's reading (html/charsets.ts),
 * JavaScript however spelled, in a script context or after closing a string (js/check.ts), and a
 * scanner's reflection probe (html/probe.ts). Every finding carries its span in the value.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { dtdDefaultHits, markupHits } from "./html/markup.ts";
import { attributeBreakoutHits } from "./html/breakout.ts";
import type { Hit } from "./html/attributes.ts";
import { isNoOpScript, scriptUrl } from "./html/url-scheme.ts";
import { checkJs } from "./js/check.ts";
import { charsetReadings } from "./html/charsets.ts";
import { reflectionProbeHits } from "./html/probe.ts";
import { finding, strongestPerRule } from "./text.ts";

/** Without one of these characters no markup, URL scheme, call or breakout is possible. */
const MAY_HOLD_SCRIPT = /[<(`{:=[]/;

/** Characters that mark another charset's markup (see html/charsets.ts). */
const MAY_HOLD_CHARSET_MARKUP = /[+&]A[CD]|\xbc|\uff1c/;

/** Findings weaker than this are noise, not features. */
const MIN_STRENGTH = 0.3;

/** The charset readings of a value without their signs: shared, never written to. */
const NONE: Hit[] = [];

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

/** Script in a `javascript:` URL is read this far at most: a URL inside a value is not a whole page. */
const EMBEDDED_BODY = 2048;

/** Embedded URLs looked at per value; a value with more is a document about them, not an attack. */
const MAX_EMBEDDED = 8;

/**
 * A `javascript:` URL inside a value rather than at its start: a link parameter in a query
 * (`?url=javascript:alert(1)`), a CSS `url(javascript:...)`, a nested scheme (`feed:javascript:...`).
 * Only a URL whose script runs something counts: mentioning the scheme is not an attack.
 */
function embeddedUrlHits(s: string): Hit[] {
  const out: Hit[] = [];
  const re = /javascript:/gi;
  let seen = 0;
  for (let m = re.exec(s); m !== null && seen < MAX_EMBEDDED; m = re.exec(s)) {
    // At the start it is the bare URL above; glued to a word it is another scheme's name.
    if (m.index === 0 || /[\w.+-]/.test(s[m.index - 1]!)) continue;
    seen++;
    const from = m.index + m[0].length;
    const to = Math.min(s.length, from + EMBEDDED_BODY);
    const exec = checkJs(s, from, to, "script").filter((h) => h.strength >= 0.9);
    if (exec.length) out.push({ construct: "embedded-script-url", strength: 0.85, start: m.index, end: exec.reduce((e, h) => Math.max(e, h.end), from) });
  }
  return out;
}

/** Markup that exists only when the value is read in another charset; the span is the whole value. */
function charsetHits(s: string): Hit[] {
  const out: Hit[] = [];
  for (const reading of charsetReadings(s)) {
    const inner = markupHits(reading).reduce((m, h) => Math.max(m, h.strength), 0);
    if (inner >= 0.5) out.push({ construct: "charset-markup", strength: inner, start: 0, end: s.length });
  }
  return out;
}

/** A tag name that runs into a `+` (`"><script+src=...>`): a form-encoded space the value kept. */
const PLUS_IN_TAG = /<\/?[A-Za-z][\w:-]*\+/;

/**
 * The value read with `+` as a space, as an application that form-decodes it once more does. The
 * reading has the value's length, so its spans are the value's.
 */
function plusReadingHits(s: string): Hit[] {
  return PLUS_IN_TAG.test(s) ? markupHits(s.replaceAll("+", " ")) : [];
}

/**
 * A tag's name split by a whole tag (`<scr<script>ipt src=...>`): a filter that deletes `<script>` once
 * joins the halves into the tag it meant to remove. The value is read as that filter leaves it; its
 * spans are not the value's, so the whole value is the evidence.
 */
const SPLIT_TAG_NAME = /(<\/?[A-Za-z]+)<\/?[A-Za-z][^<>]{0,64}>(?=[A-Za-z])/g;

function strippedReadingHits(s: string): Hit[] {
  SPLIT_TAG_NAME.lastIndex = 0;
  if (!SPLIT_TAG_NAME.test(s)) return [];
  return markupHits(s.replace(SPLIT_TAG_NAME, "$1")).map((h) => ({ ...h, start: 0, end: s.length }));
}

/** The strongest finding of each construct (its first span on ties): a value with 200,000 `eval(` is one finding, not 200,000. */
function toFindings(hits: Hit[]): Finding[] {
  const findings: Finding[] = [];
  for (const h of hits) if (h.strength >= MIN_STRENGTH) findings.push(finding("xss", `html.${h.construct}`, h.strength, h.start, h.end));
  return strongestPerRule(findings);
}

export const htmlAnalyzer: Analyzer = {
  name: "html",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    const charset = MAY_HOLD_CHARSET_MARKUP.test(s) ? charsetHits(s) : NONE;
    if (!MAY_HOLD_SCRIPT.test(s)) return toFindings(charset);
    const hits: Hit[] = [];
    // In this order: on ties the first span of a construct is kept.
    for (const found of [markupHits(s), attributeBreakoutHits(s), bareUrlHits(s), embeddedUrlHits(s), plusReadingHits(s), strippedReadingHits(s), dtdDefaultHits(s), reflectionProbeHits(s)]) for (const h of found) hits.push(h);
    for (const h of checkJs(s, 0, s.length, "bare")) hits.push({ ...h, construct: `js-${h.construct}` });
    for (const h of charset) hits.push(h);
    return toFindings(hits);
  },
};
