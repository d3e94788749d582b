/**
 * Markup that runs script or loads content: `<script>` (its body checked as JavaScript), frames and
 * plug-ins, `<base>`, `<meta http-equiv=refresh>`, `<link rel=import>`, forms that post elsewhere,
 * `<style>` with CSS that runs code, and any tag's attributes (handlers, script URLs, srcdoc, style).
 * A tag that follows a context breakout (`">`, `'>`, `-->`, `</textarea>`) is an injection even when
 * the tag alone could be benign rich text. Markup inside an attribute value or a `<style>` body is read
 * too: another parser, a sanitizer's re-serialization (mutation XSS) or SVG's foreign content
 * (`<svg><style><img onerror=...>`) makes it markup again.
 */
import { decodeHTMLAttribute } from "entities/decode";
import { tokenizeHtml, type Attr, type Tag } from "./tokenizer.ts";
import { URL_ATTRS, attributeHits, type Hit } from "./attributes.ts";
import { cssThreat } from "./css.ts";
import { dataUrlPayload, isDataUrl } from "./url-scheme.ts";
import { isEventHandlerName } from "./events.ts";
import { inertScript } from "./script-body.ts";
import { checkJs } from "../js/check.ts";

/** Markup nested in markup (srcdoc, data: URLs) is read this many levels deep at most. */
const MAX_DEPTH = 2;

/** Elements that close the context a value was reflected in: `</textarea><script>...`. */
const CONTEXT_CLOSERS = new Set(["textarea", "title", "style", "script", "noscript", "xmp", "iframe", "noembed", "noframes", "template", "select", "option", "plaintext"]);

/** Tags that load other documents or plug-ins (IE's VML frames and data islands, Netscape's layers too). */
const EMBEDDERS = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "portal", "fencedframe", "vmlframe", "layer", "ilayer", "xml"]);

/** Frames are what rich-text editors embed videos with: alone they are a weak sign. */
const FRAMES = new Set(["iframe", "frame", "frameset", "portal", "fencedframe"]);

/** Attributes through which a plug-in or data island loads its code. */
const PLUGIN_SOURCES = ["src", "data", "code", "codebase", "movie"];

/** SVG animation elements: they set another attribute, named by `attributeName`, to `to`/`values`. */
const ANIMATORS = new Set(["set", "animate", "animatetransform", "animatemotion"]);

/** Attributes of an SVG animation that give the animated attribute its values. */
const ANIMATION_VALUES = new Set(["to", "values", "from", "by"]);

/**
 * `<set attributeName=onmouseover to=alert(1)>` is a handler; `attributeName=href values=";javascript:..."`
 * a link (each `;`-separated value is one the link takes); `attributeName=innerHTML` writes markup.
 */
function animationHits(s: string, tag: Tag, depth: number, out: Hit[]): void {
  const target = attr(tag, "attributename")?.value.toLowerCase().trim() ?? "";
  if (target === "") return;
  for (const a of tag.attrs) {
    if (!ANIMATION_VALUES.has(a.name) || !a.hasValue) continue;
    if (target.startsWith("on")) {
      attributeHits({ ...a, name: target }, tag.name, "tag", out);
    } else if (target === "innerhtml" || target === "outerhtml") {
      const inner = depth < MAX_DEPTH ? strongest(markupHits(decoded(a), depth + 1)) : 0;
      if (inner >= 0.5) out.push({ construct: "animated-markup", strength: Math.max(inner, 0.9), start: a.start, end: a.valueEnd });
    } else if (URL_ATTRS.has(target)) {
      for (const value of decoded(a).split(";")) attributeHits({ ...a, name: target, value }, tag.name, "tag", out);
    }
  }
}

const decoded = (a: Attr) => (a.value.indexOf("&") === -1 ? a.value : decodeHTMLAttribute(a.value));
const strongest = (hits: Hit[]) => hits.reduce((m, h) => Math.max(m, h.strength), 0);

/** A `<base>` that points elsewhere makes every relative script the page loads come from there. */
function baseStrength(tag: Tag): number {
  const href = decoded(attr(tag, "href")!).trim().toLowerCase();
  return href.startsWith("//") || /^[a-z][a-z0-9+.-]*:/.test(href) ? 0.85 : 0.75;
}

/** An object or embed that loads something (a plug-in, a scriptlet, a document) runs code of its own. */
function embedStrength(tag: Tag, name: string): number {
  // `<IFRAME` alone: a tag name a page recorder or a DOM log reports, which no browser would render.
  if (!tag.closed && tag.attrs.length === 0) return 0.4;
  if (FRAMES.has(name)) return 0.55;
  return PLUGIN_SOURCES.some((n) => attr(tag, n)?.value.trim()) ? 0.8 : 0.6;
}

function attr(tag: Tag, name: string) {
  return tag.attrs.find((a) => a.name === name);
}

/** An attribute by its name without a namespace prefix (`ev:event` is `event`). */
function localAttr(tag: Tag, name: string) {
  return tag.attrs.find((a) => a.name === name || a.name.endsWith(`:${name}`));
}

/** Elements whose text other engines run as script: SVG Tiny's XML Events `<handler>`, IE's WD-xsl `<eval>`. */
const SCRIPT_TEXT_ELEMENTS = new Set(["handler", "eval"]);

/** The element's text up to the next tag, judged as script: only code that runs counts. */
function scriptTextHits(s: string, tag: Tag, span: { start: number; end: number }, out: Hit[]): void {
  if (!tag.closed) return;
  const next = s.indexOf("<", tag.end);
  const js = checkJs(s, tag.end, next === -1 ? s.length : next, "script").filter((h) => h.strength >= 0.9);
  if (!js.length) return;
  out.push({ construct: "script-element", strength: 0.9, start: span.start, end: js.reduce((e, h) => Math.max(e, h.end), span.end) });
  for (const h of js) out.push({ ...h, construct: `js-${h.construct}` });
}

/** A stylesheet (`<link rel=stylesheet>`, `<?xml-stylesheet?>`) given inline as a `data:` URL is CSS of the value's own: judged as such. */
function stylesheetHits(tag: Tag, span: { start: number; end: number }, out: Hit[]): void {
  const href = attr(tag, "href");
  if (!href || !isDataUrl(decoded(href))) return;
  const css = cssThreat(dataUrlPayload(decoded(href)));
  if (css) out.push({ construct: css.construct, strength: css.strength, start: span.start, end: href.valueEnd });
}

/** Does the text before the first tag close an attribute, a comment or a CDATA section? */
function breaksOut(s: string, firstTag: number): boolean {
  const head = s.slice(0, firstTag);
  return /["'`]\s*\/?>|^\s*-->|]]>/.test(head);
}

/** A script's source: `src`, or in SVG `href`/`xlink:href`. */
const scriptSource = (tag: Tag) => attr(tag, "src") ?? attr(tag, "href") ?? attr(tag, "xlink:href");

/** Netscape ran `<style type="text/javascript">` as script. */
const isScriptStyle = (tag: Tag) => /script/i.test(attr(tag, "type")?.value ?? "");

/**
 * DOM clobbering: an element that `document.NAME` returns instead of the document's own method or
 * property (`<img name=getElementById>`, `<form name=cookie>`), breaking a page's script or steering
 * it; and a form control that shadows its form's own DOM property (`<form><input name=attributes>`),
 * how sanitizers are led past their own checks. Only the elements the document exposes by name (and an
 * image's or object's id), and only names no form field or anchor means for itself: `<div
 * id=cookie>` is a cookie banner, `<input name=submit>` a button.
 */
const DOCUMENT_MEMBERS = new Set(
  "getElementById getElementsByName getElementsByTagName getElementsByClassName querySelector querySelectorAll createElement createRange write writeln currentScript defaultView documentElement ownerDocument cookie __proto__".split(" "),
);
const ELEMENT_MEMBERS = new Set(
  "attributes nodeName nodeType parentNode childNodes firstChild lastChild removeChild appendChild insertBefore innerHTML outerHTML namespaceURI localName tagName getAttribute setAttribute ownerDocument __proto__".split(" "),
);
const NAMED_BY_DOCUMENT = new Set(["img", "form", "embed", "object", "iframe"]);
const FORM_CONTROLS = new Set(["input", "button", "select", "textarea", "fieldset", "output", "object", "img"]);

function clobbersDocument(tag: Tag, name: string): Attr | null {
  const named = attr(tag, "name");
  const value = named ? decoded(named).trim() : "";
  if (named && NAMED_BY_DOCUMENT.has(name) && DOCUMENT_MEMBERS.has(value)) return named;
  if (named && FORM_CONTROLS.has(name) && ELEMENT_MEMBERS.has(value)) return named;
  const id = (name === "img" || name === "object") && attr(tag, "id");
  return id && DOCUMENT_MEMBERS.has(decoded(id).trim()) ? id : null;
}

function tagHits(s: string, tag: Tag, depth: number, out: Hit[]): void {
  const span = { start: tag.start, end: tag.closed ? tag.end : Math.min(tag.end, tag.start + tag.name.length + 1) };
  // `<x:script xmlns:x="http://www.w3.org/1999/xhtml">` is a script in an XML document.
  const name = tag.name.slice(tag.name.lastIndexOf(":") + 1);
  if (name === "script" || (name === "style" && isScriptStyle(tag))) {
    const src = name === "script" && scriptSource(tag);
    // A script whose text cannot parse runs nothing: a tag named in prose, not one injected.
    if (src || !tag.closed || !inertScript(s, tag.start, tag.bodyStart, tag.bodyEnd, tag.attrs.length === 0)) {
      out.push({ construct: src ? "script-src" : "script-tag", strength: src || tag.closed ? 0.9 : 0.8, ...span });
    }
    for (const h of checkJs(s, tag.bodyStart, tag.bodyEnd, "script")) out.push({ ...h, construct: `js-${h.construct}` });
  } else if (name === "style" && tag.bodyEnd > tag.bodyStart) {
    const css = cssThreat(s.slice(tag.bodyStart, tag.bodyEnd));
    if (css) out.push({ construct: css.construct, strength: css.strength, start: tag.start, end: tag.bodyEnd });
  } else if (EMBEDDERS.has(name) && (name !== "xml" || attr(tag, "src"))) {
    out.push({ construct: "embed-tag", strength: embedStrength(tag, name), ...span });
  } else if (name === "base" && attr(tag, "href")) {
    out.push({ construct: "base-tag", strength: baseStrength(tag), ...span });
  } else if (name === "meta") {
    const equiv = attr(tag, "http-equiv")?.value.toLowerCase().trim();
    if (equiv === "refresh") out.push({ construct: "meta-refresh", strength: 0.7, ...span });
    else if (equiv === "set-cookie") out.push({ construct: "meta-set-cookie", strength: 0.8, ...span });
    // A `Link: <url>; rel=stylesheet` header loads the attacker's CSS (and old browsers' script in it).
    else if (equiv === "link" && /\brel\s*=\s*["']?stylesheet/i.test(attr(tag, "content")?.value ?? "")) out.push({ construct: "stylesheet-link", strength: 0.6, ...span });
  } else if (name === "link" && /\bimport\b/i.test(attr(tag, "rel")?.value ?? "")) {
    out.push({ construct: "link-import", strength: 0.7, ...span });
  } else if ((name === "import" || name === "?import") && attr(tag, "implementation")) {
    out.push({ construct: "behavior-import", strength: decoded(attr(tag, "implementation")!).trim().startsWith("#default#") ? 0.6 : 0.85, ...span });
  } else if (SCRIPT_TEXT_ELEMENTS.has(name)) {
    scriptTextHits(s, tag, span, out);
  } else if (name === "form" && attr(tag, "action")) {
    out.push({ construct: "form-action", strength: 0.45, ...span });
  } else if (ANIMATORS.has(name)) {
    animationHits(s, tag, depth, out);
  }
  if (name === "?xml-stylesheet" || (name === "link" && /\bstylesheet\b/i.test(attr(tag, "rel")?.value ?? ""))) stylesheetHits(tag, span, out);
  const clobbered = clobbersDocument(tag, name);
  if (clobbered) out.push({ construct: "dom-clobbering", strength: 0.8, start: clobbered.start, end: clobbered.valueEnd });
  if (attr(tag, "datasrc") && /^\s*html\s*$/i.test(attr(tag, "dataformatas")?.value ?? "")) out.push({ construct: "data-binding", strength: 0.7, ...span });
  if (localAttr(tag, "event") && localAttr(tag, "handler")) out.push({ construct: "xml-events", strength: 0.6, ...span });
  const expr = (name === "if" || name === "when") && attr(tag, "expr");
  if (expr && checkJs(decoded(expr), 0, decoded(expr).length, "script").some((h) => h.strength >= 0.9)) out.push({ construct: "script-attribute", strength: 0.9, start: expr.start, end: expr.valueEnd });
  for (const a of tag.attrs) {
    attributeHits(a, name, "tag", out);
    if (a.name === "srcdoc" && a.hasValue && depth < MAX_DEPTH) {
      const inner = strongest(markupHits(decoded(a), depth + 1));
      if (inner >= 0.5) out.push({ construct: "srcdoc", strength: Math.max(inner, 0.9), start: a.start, end: a.valueEnd });
    }
    if (depth < MAX_DEPTH && a.value.indexOf("<") !== -1) nestedHits(s, a.valueStart, a.valueEnd, depth, out);
  }
  if (name === "style" && depth < MAX_DEPTH) nestedHits(s, tag.bodyStart, tag.bodyEnd, depth, out);
}

/** Start tags in s[from, to) (an attribute value, a style body), judged one level deeper. */
function nestedHits(s: string, from: number, to: number, depth: number, out: Hit[]): void {
  const lt = s.indexOf("<", from);
  if (lt === -1 || lt >= to) return;
  for (const t of tokenizeHtml(s, from, to)) if (!t.isEnd) tagHits(s, t, depth + 1, out);
}

/** Findings of the markup in s (spans in s). */
export function markupHits(s: string, depth = 0): Hit[] {
  if (s.indexOf("<") === -1) return [];
  const tags = tokenizeHtml(s);
  const out: Hit[] = [];
  let brokeOut = false;
  for (const [k, tag] of tags.entries()) {
    if (k === 0) brokeOut = breaksOut(s, tag.start);
    if (tag.isEnd) {
      if (CONTEXT_CLOSERS.has(tag.name) && k === 0) brokeOut = true;
      continue;
    }
    const before = out.length;
    tagHits(s, tag, depth, out);
    // After a breakout even a weak tag is an injection; a plain new tag is a sign.
    if (brokeOut) {
      for (let i = before; i < out.length; i++) if (out[i]!.strength >= 0.45) out[i]!.strength = Math.max(out[i]!.strength, 0.9);
      if (out.length === before) out.push({ construct: "breakout-tag", strength: 0.5, start: tag.start, end: tag.end });
    }
  }
  // A whole HTML document is what code playgrounds and editors post; an injection is a fragment.
  if (isWholeDocument(s, tags)) for (const h of out) h.strength = Math.min(h.strength, DOCUMENT_CAP);
  return out;
}

/** `onerror CDATA "alert(1)"`: an `<!ATTLIST>` default that an XML parser gives every such element. */
const DTD_HANDLER_DEFAULT = /\b(on[a-z]+)\s+CDATA\s+(?:"([^"]*)"|'([^']*)')/gi;

/** Event handlers a DTD declares as attribute defaults (spans in s). */
export function dtdDefaultHits(s: string): Hit[] {
  if (s.indexOf("CDATA") === -1) return [];
  const out: Hit[] = [];
  for (const m of s.matchAll(DTD_HANDLER_DEFAULT)) {
    if (!isEventHandlerName(m[1]!.toLowerCase())) continue;
    const value = m[2] ?? m[3] ?? "";
    const exec = checkJs(value, 0, value.length, "script").some((h) => h.strength >= 0.9);
    out.push({ construct: "dtd-handler", strength: exec ? 0.85 : 0.6, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** How strong a finding inside a whole posted document may be (it stays a feature, not proof). */
const DOCUMENT_CAP = 0.7;

/** The value starts with a doctype or `<html>` and has the document's head or end. */
function isWholeDocument(s: string, tags: Tag[]): boolean {
  const head = s.trimStart().slice(0, 15).toLowerCase();
  if (!head.startsWith("<!doctype html") && !head.startsWith("<html")) return false;
  return tags.some((t) => t.name === "head" || (t.isEnd && t.name === "html"));
}
