/**
 * What one attribute does: an event handler runs its value as script, a URL attribute may carry a
 * `javascript:` or `data:text/html` URL, `srcdoc` is a whole document, `style` is CSS. The value is
 * entity-decoded first, as the browser does before using it.
 */
import { decodeHTMLAttribute } from "entities/decode";
import type { Attr } from "./tokenizer.ts";
import { isEventHandlerName, looksLikeHandlerName } from "./events.ts";
import { isNoOpScript, scriptUrl } from "./url-scheme.ts";
import { cssThreat } from "./css.ts";
import { checkJs, type JsHit } from "../js/check.ts";

/** A finding before it gets its analyzer prefix and class. */
export interface Hit {
  construct: string;
  strength: number;
  start: number;
  end: number;
}

/** Attributes whose value a browser loads or navigates to (SVG animation values included). */
export const URL_ATTRS = new Set([
  "href", "src", "action", "formaction", "xlink:href", "data", "code", "codebase", "background", "lowsrc", "dynsrc",
  "poster", "cite", "longdesc", "usemap", "profile", "archive", "classid", "values", "to", "from", "by", "content", "ping", "manifest", "icon", "srcset", "imagesrcset",
]);

/** How hard an attribute's situation is: in a real tag, or in text that merely might break out of one. */
export type AttrSetting = "tag" | "breakout";

function decodedValue(a: Attr): string {
  return a.value.indexOf("&") === -1 ? a.value : decodeHTMLAttribute(a.value);
}

/** JS hits of a decoded value, moved to the original text (exactly when nothing was decoded). */
function placeJsHits(hits: JsHit[], a: Attr, decoded: string): Hit[] {
  const exact = decoded === a.value;
  return hits.map((h) => ({ construct: `js-${h.construct}`, strength: h.strength, start: exact ? a.valueStart + h.start : a.valueStart, end: exact ? a.valueStart + h.end : a.valueEnd }));
}

const strongest = (hits: JsHit[]) => hits.reduce((m, h) => Math.max(m, h.strength), 0);

/** Handler text that calls something (`$.getScript('//x')`, `f``x```): code, not a word or a number. */
const CALLS = /[\w$\])]\s*[(`]/;

function handlerHits(a: Attr, name: string, setting: AttrSetting, out: Hit[]): void {
  const known = isEventHandlerName(name);
  if (!known && !looksLikeHandlerName(name)) return;
  const decoded = decodedValue(a);
  const js = decoded.trim() === "" ? [] : checkJs(decoded, 0, decoded.length, "script");
  const exec = strongest(js) >= 0.9;
  // JSX (`onClick={() => ...}`) is what code editors post; a handler in HTML is rarely written so.
  const jsx = a.value.startsWith("{");
  let strength: number;
  if (setting === "tag") strength = exec ? 0.95 : known && !jsx ? (a.hasValue && decoded.trim() !== "" ? 0.9 : 0.5) : 0.55;
  else strength = exec ? (known ? 0.95 : 0.8) : known && CALLS.test(decoded) ? 0.85 : known && decoded.trim() !== "" ? 0.7 : 0.35;
  out.push({ construct: setting === "tag" ? "event-handler" : "attr-breakout-handler", strength, start: a.start, end: a.valueEnd });
  out.push(...placeJsHits(js, a, decoded));
}

/**
 * The URLs a refresh's `content` may name: what follows `0;` (with or without `url=`), and what
 * follows the last `url=` (old engines took that one: `0; URL=http://;URL=javascript:...`).
 */
function refreshTargets(content: string): string[] {
  const out: string[] = [];
  const sep = content.search(/[;,]/);
  if (sep !== -1) out.push(content.slice(sep + 1).replace(/^\s*(?:url\s*=\s*)?['"]?/i, ""));
  const last = content.toLowerCase().lastIndexOf("url=");
  if (last !== -1) out.push(content.slice(last + 4).replace(/^['"]/, ""));
  return out;
}

/**
 * The value with XML comments and CDATA markers taken out, as an XML parser (an IE data island)
 * reads it: `javas<!-- -->cript:` and `javas<![CDATA[cript:` are `javascript:` there.
 */
function withoutXmlMarkers(v: string): string {
  let out = "";
  let i = 0;
  for (let at = v.indexOf("<!", i); at !== -1; at = v.indexOf("<!", i)) {
    out += v.slice(i, at);
    if (v.startsWith("<!--", at)) {
      const close = v.indexOf("-->", at + 4);
      i = close === -1 ? v.length : close + 3;
    } else {
      i = v.startsWith("<![CDATA[", at) ? at + 9 : at + 2;
    }
  }
  return (out + v.slice(i)).replaceAll("]]>", "");
}

function urlHits(a: Attr, tagName: string, setting: AttrSetting, out: Hit[]): void {
  const decoded = decodedValue(a);
  const candidates = a.name === "content" ? refreshTargets(decoded) : [decoded];
  let url = null;
  for (const c of candidates) if (!url || url.scheme.startsWith("data")) url = scriptUrl(c) ?? url;
  if (!url && decoded.indexOf("<!") !== -1) {
    url = scriptUrl(withoutXmlMarkers(decoded));
    if (url) url.obfuscated = true;
  }
  if (!url) return;
  const isUrlAttr = URL_ATTRS.has(a.name);
  const span = { start: a.start, end: a.valueEnd };
  if (url.scheme === "javascript" || url.scheme === "vbscript") {
    const js = url.scheme === "javascript" ? checkJs(url.body, 0, url.body.length, "script") : [];
    const exec = strongest(js) >= 0.9;
    if (isNoOpScript(url.body) && !exec && !url.obfuscated) return;
    const strength = exec ? (isUrlAttr ? 0.95 : 0.85) : url.scheme === "vbscript" || url.obfuscated ? 0.85 : isUrlAttr ? (setting === "tag" ? 0.8 : 0.6) : 0.4;
    out.push({ construct: "script-url", strength, ...span });
    return;
  }
  if (!isUrlAttr) return;
  const runsInFrame = tagName === "iframe" || tagName === "frame" || tagName === "object" || tagName === "embed" || a.name === "data";
  // An SVG image in <img> cannot run script; in a frame or object it can, as can any HTML.
  if (url.scheme === "data-svg" && !runsInFrame) return;
  out.push({ construct: "data-url", strength: setting === "tag" ? 0.9 : 0.7, ...span });
}

/** Findings of one attribute, in a tag (`tag`) or in a value that may break out of one. */
export function attributeHits(a: Attr, tagName: string, setting: AttrSetting, out: Hit[]): void {
  // `x:ontimer` (WML), `svg:onload`: a handler in another namespace is still one.
  const local = a.name.slice(a.name.lastIndexOf(":") + 1);
  if (local.startsWith("on")) handlerHits(a, local, setting, out);
  if (!a.hasValue) return;
  if (a.name === "style") {
    const css = cssThreat(decodedValue(a));
    // CSS that runs script is proof wherever it stands; loading a stylesheet is less outside a tag.
    if (css) out.push({ construct: css.construct, strength: setting === "tag" || css.strength >= 0.85 ? css.strength : css.strength - 0.1, start: a.start, end: a.valueEnd });
  }
  if (a.value.indexOf(":") !== -1 || a.value.indexOf("&") !== -1) urlHits(a, tagName, setting, out);
}
