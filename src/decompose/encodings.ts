/**
 * Nested encodings: a value that holds another value (JSON, a URL, base64, hex, escapes, a second URL
 * encoding) gets the inner one as CHILD leaves, recursively, each recording the encoding that was undone.
 * The parent stays: a child adds a reading, it does not replace one.
 *
 * Cost: a value with none of `% \ & { [ :` and no run of 12+ base64/hex characters costs a few indexOf
 * calls, one regex test and the run scans; every decoder runs only after a cheap check says it may
 * apply, is linear, and the child it makes is checked again (up to `maxEncodingLayers`, then flagged
 * "too-deep"). Headers of browser vocabulary (request.ts) skip the run scans unless the whole value is
 * one token.
 *
 * One reading per layer: JSON and a URL with a query are structural (their parts become the children);
 * otherwise the first whole-text decoding that changes the text (URL, JS escapes, HTML entities,
 * compatibility forms folded by NFKC, in that order) makes one child that goes on from there; only a
 * text none of those apply to is searched for base64 and hex runs (a compressed run inflated, within
 * the request's budget: LeafSink.inflate), and split at filler runs (filler.ts). So the same inner
 * value is not found twice along two paths.
 */
import { decodeHTML, DecodingMode } from "entities";
import { isUtf8 } from "node:buffer";
import { bytesToText, foldOverlongLatin1, hexByteAt, hexUnitAt, hexValue, percentDecodeLenient } from "../parse/decode.ts";
import { fillerPieces } from "./filler.ts";
import { addJsonLeaves, looksLikeJsonContainer, parseJsonLimited } from "./body/json.ts";
import { isHeaderOwnLeaf, type Encoding, type Leaf } from "./leaf.ts";
import type { Expander, LeafSink } from "./sink.ts";
import { isVocabularyHeader } from "./request.ts";
import { addUrlQueryLeaves, queryOfUrlValue } from "./url.ts";

/** Shorter base64/hex runs are ordinary words and numbers far more often than encoded text. */
const MIN_BASE64_RUN = 12;
/**
 * A whole value or path segment that is one base64 token (its length, padding included, a multiple of
 * 4) is worth decoding from 8 characters on: `fCBpZA==` is `| id`. Words of that length decode to
 * bytes that are no text, and the text check turns them away.
 */
const MIN_BASE64_TOKEN = 8;
const MIN_HEX_RUN = 12;
/** `0x` says what follows is hex: `0x61646d696e` (SQL, PHP) is worth decoding from two bytes on. */
const MIN_PREFIXED_HEX_RUN = 4;
/**
 * A value that is one base64 or hex token as a whole. Headers of browser vocabulary are searched for
 * runs only when they are one: no browser sends a User-Agent or an Accept that is a single token of
 * that alphabet, and a client that does is not a browser.
 */
const ONE_TOKEN = /^[A-Za-z0-9+/_=-]+$/;
/** The shortest base64 of a gzip or zlib stream of some text (their headers and checksums alone are 8-18 bytes). */
const MIN_COMPRESSED_RUN = 24;
/** SAML's HTTP-Redirect binding sends its messages in these parameters as raw deflate, then base64. */
const SAML_DEFLATED = /^SAML(?:Request|Response)$/i;
/** Base64 runs decoded per value: tokens (JWT parts, signed blobs) rarely have more. */
const MAX_BASE64_RUNS = 8;

export const expandEncodings: Expander = (sink, leaf, layer) => {
  const text = leaf.text;
  if (text.length < 3) return;
  const atLimit = layer >= sink.limits.maxEncodingLayers;
  const next = (enc: Encoding) => ({ encodings: [...leaf.encodings, enc], layer: layer + 1 });

  if (looksLikeJsonContainer(text)) {
    // A body of no known structure was already tried as JSON by the body stage.
    const doc = leaf.kind === "text" && layer === 0 ? undefined : parseJsonLimited(sink, text);
    if (doc !== undefined && typeof doc === "object" && doc !== null) {
      if (atLimit) return sink.flag("too-deep");
      // GraphQL's multipart uploads carry the operation as JSON in a form field (`operations`), as do
      // forms that post one: a top-level `query` that parses as GraphQL is read as a document there too.
      addJsonLeaves(sink, doc, { location: leaf.location, path: `${leaf.path}~json`, name: leaf.name, ...next("json") }, { graphql: true });
      return;
    }
    // JSON that JSON.parse refuses and a lenient parser reads (Python's NaN, Jackson's trailing tokens,
    // Go's first document of several): its strings as that parser gives them to the application. JSON's
    // strings are in double quotes (a Python dict's repr, in single ones, is no JSON to any of them).
    // Once: the reading's own backslashes are what the strings hold (`C:\\new` is `C:\new`, no line break).
    const strings = text.indexOf("\\") === -1 || leaf.encodings.at(-1) === "js-escape" || !opensWithString(text) ? text : decodeJsEscapes(text, true);
    if (strings !== text) {
      if (atLimit) return sink.flag("too-deep");
      addChild(sink, leaf, strings, "js-escape", "~js-escape", layer);
      return;
    }
  }

  const query = text.charCodeAt(0) === 0x2f || text.indexOf("://") !== -1 ? queryOfUrlValue(text) : isQueryString(text) ? text : null;
  if (query !== null) {
    if (atLimit) return sink.flag("too-deep");
    addUrlQueryLeaves(sink, query, { location: leaf.location, path: `${leaf.path}~url-in-value`, ...next("url-in-value") });
    return;
  }

  // `/proxy/http://169.254.169.254/`: a URL carried in the path, judged as the value it is.
  const inPath = leaf.kind === "path" ? urlInPath(text) : -1;
  if (inPath > 0) {
    if (atLimit) return sink.flag("too-deep");
    sink.add({ ...leaf, path: `${leaf.path}~url-in-value`, kind: "value", text: text.slice(inPath), encodings: [...leaf.encodings, "url-in-value"] }, layer + 1);
  }

  const rawHeader = layer === 0 && isHeaderOwnLeaf(leaf);
  const whole = decodeWholeText(text, !rawHeader && wasPercentDecoded(leaf));
  if (whole) {
    if (atLimit) return sink.flag("too-deep");
    addChild(sink, leaf, whole.text, whole.encoding, `~${whole.encoding}`, layer);
    return;
  }

  // Once no whole-text decoding applies, each piece between filler runs is also a value of its own
  // (filler.ts), beside the runs decoded below.
  const pieces = fillerPieces(text);
  if (pieces.length && atLimit) return sink.flag("too-deep");
  pieces.forEach((piece, i) => sink.add({ ...leaf, path: `${leaf.path}~unpadded${i ? `#${i + 1}` : ""}`, text: piece }, layer + 1));

  if (text.length < MIN_PREFIXED_HEX_RUN || (rawHeader && isVocabularyHeader(leaf.name) && !ONE_TOKEN.test(text))) return;
  const hex = decodeHexRuns(text);
  if (hex !== null) {
    if (atLimit) return sink.flag("too-deep");
    addChild(sink, leaf, hex, "hex", "~hex", layer);
  }
  if (text.length < MIN_BASE64_TOKEN) return;
  const raw = SAML_DEFLATED.test(leaf.name);
  const decoded = decodeBase64Runs(text, (bytes) => sink.inflate(bytes, raw));
  if (decoded.length && atLimit) return sink.flag("too-deep");
  // What a name decodes to is the payload it carries, judged as a value (a path's analyzer reads no names).
  const carrier = leaf.kind === "key" ? { ...leaf, kind: "value" as const } : leaf;
  decoded.forEach((d, i) => addChild(sink, carrier, d, "base64", i === 0 ? "~base64" : `~base64#${i + 1}`, layer));
};

/**
 * `name=value&name=value`: a form or query string inside a value (a double-encoded body, a parameter
 * that carries another request's parameters). Its values are judged from their own start, where an
 * injection into that parameter begins. The first value must not start with `=` or be empty, so that
 * base64 padding (`YWJj==`) is no form.
 */
const QUERY_STRING = /^[\w.[\]-]{1,64}=[^&=][^&]*(?:&[\w.[\]-]{1,64}=[^&]*)*$/;

function isQueryString(text: string): boolean {
  const eq = text.indexOf("=");
  return eq > 0 && eq <= 64 && QUERY_STRING.test(text);
}

/** Where a path segment that starts a URL (`scheme://`) begins, or -1. */
const URL_IN_PATH = /\/[a-zA-Z][a-zA-Z0-9+.-]{1,15}:\/\/[^/\s]/;

function urlInPath(path: string): number {
  if (path.indexOf("://") === -1) return -1;
  const m = URL_IN_PATH.exec(path);
  return m ? m.index + 1 : -1;
}

/** Body leaves that no percent decoding produced: a text body, JSON, XML, multipart and GraphQL parts. */
const UNDECODED_BODY = /^body(?:$|~|\.(?:json|xml|multipart|graphql)(?:$|[.~[]))/;

/**
 * Whether a leaf's text came out of a percent decoding, so that Latin-1 in it may be the decoder's
 * reading of overlong UTF-8: the path, query, cookies, form fields and URLs' query parameters, but not
 * a header as sent nor a body part read from raw bytes (a GIF's bytes are no `%c0%af`).
 */
function wasPercentDecoded(leaf: Leaf): boolean {
  if (leaf.location !== "body") return true;
  return !UNDECODED_BODY.test(leaf.path) || leaf.encodings.includes("url-in-value");
}

/**
 * The whole-text decodings of a leaf that no expander reads (a part's values past the leaf limit,
 * judged together: sink.ts), one after the other up to `layers` and `budget` characters in all: padding
 * that pushes a URL-encoded or entity-escaped payload past the limit does not keep it encoded.
 */
export function wholeTextReadings(leaf: Leaf, layers: number, budget: number): Leaf[] {
  const out: Leaf[] = [];
  let current = leaf;
  // Each layer applies every decoding that changes the text, in turn: a decoy that needs many layers of
  // one (`%25252541`) must not use up the layers another one needs.
  for (let layer = 0, chars = 0; layer < layers; layer++) {
    const before = current;
    for (const decode of WHOLE_TEXT_DECODINGS) {
      const reading = decode(current.text, wasPercentDecoded(current));
      if (!reading) continue;
      // `budget`: characters of readings at most (each is a copy of the part's rest).
      if ((chars += reading.text.length) > budget) return out;
      current = { ...current, path: `${current.path}~${reading.encoding}`, text: reading.text, encodings: [...current.encodings, reading.encoding] };
      out.push(current);
    }
    if (current === before) break;
  }
  return out;
}

function addChild(sink: LeafSink, parent: Leaf, text: string, encoding: Encoding, suffix: string, layer: number): void {
  sink.add({ ...parent, path: parent.path + suffix, text, encodings: [...parent.encodings, encoding] }, layer + 1);
}

const WHITESPACE = /\s/;
/** `%XX`, and IIS's `%uXXXX`. */
const PERCENT_ESCAPE = /%(?:[0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})/;
const JS_ESCAPE = /\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|[0-3][0-7]{2})/;
const HTML_REFERENCE = /&(?:#[0-9]|#[xX][0-9A-Fa-f]|[A-Za-z][A-Za-z0-9]{0,31};?)/;

/**
 * The first of URL decoding, JS escapes, HTML entities and NFKC (compatibility forms of ASCII) that
 * applies and changes the text. URL decoding is read as lenient servers read it (`%uXXXX`, overlong
 * UTF-8, ASP's dropped lone `%`), and a text already decoded once that holds an overlong sequence
 * (`..%c0%af` reaches a leaf as `..À¯`) is folded: both are "url".
 * `percentDecoded` says the text came out of a percent decoding (a parameter, the path, a cookie).
 */
export function decodeWholeText(text: string, percentDecoded = true): { encoding: Encoding; text: string } | null {
  for (const decode of WHOLE_TEXT_DECODINGS) {
    const reading = decode(text, percentDecoded);
    if (reading) return reading;
  }
  return null;
}

type WholeTextDecoding = (text: string, percentDecoded: boolean) => { encoding: Encoding; text: string } | null;

/**
 * A `%` that starts no escape before a letter or digit (`%S%E%L%E%C%T`): classic ASP on IIS drops it,
 * so that a value spelled with one before each character reaches the application as the word.
 */
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})/g;
const LONE_PERCENT_IN_WORD = /%(?![0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})(?=[A-Za-z0-9])/g;
/** Lone percents before a letter or digit a value needs for that reading: prose has a `50%` or two, not a word spelled so. */
const MIN_LONE_PERCENTS = 3;

function withoutLonePercents(text: string): string {
  const inWords = text.match(LONE_PERCENT_IN_WORD);
  return inWords !== null && inWords.length >= MIN_LONE_PERCENTS ? text.replace(LONE_PERCENT, "") : text;
}

const WHOLE_TEXT_DECODINGS: WholeTextDecoding[] = [
  (text, percentDecoded) => {
    if (text.indexOf("%") !== -1) {
      const source = withoutLonePercents(text);
      if (source !== text || PERCENT_ESCAPE.test(text)) {
        // Without whitespace the text is still form-encoded, `+` for a space (as PHP's urldecode and
        // Java's URLDecoder read it); with whitespace it was decoded before and a `+` is a plus.
        const t = percentDecodeLenient(source, !WHITESPACE.test(source));
        if (t !== text) return { encoding: "url", text: t };
      }
    }
    const folded = percentDecoded ? foldOverlongLatin1(text) : null;
    return folded === null ? null : { encoding: "url", text: folded };
  },
  (text) => {
    if (text.indexOf("\\") === -1 || !JS_ESCAPE.test(text)) return null;
    const t = decodeJsEscapes(text);
    return t === text ? null : { encoding: "js-escape", text: t };
  },
  (text) => {
    if (text.indexOf("\\") === -1) return null;
    const t = withoutLetterEscapes(text);
    return t === null ? null : { encoding: "js-escape", text: t };
  },
  (text) => {
    if (text.indexOf("&") === -1 || !HTML_REFERENCE.test(text)) return null;
    const t = decodeEntities(text);
    return t === text ? null : { encoding: "html-entity", text: t };
  },
  (text) => {
    if (!BEYOND_MODIFIER_LETTERS.test(text) || !COMPATIBILITY_FORM.test(text)) return null;
    const folded = text.normalize("NFKC");
    return folded === text ? null : { encoding: "nfkc", text: folded };
  },
];

const OPENS_WITH_TAG = /^\s*<[A-Za-z][A-Za-z0-9-]*[\s/>]/;
const CLOSING_TAG = /^<\/[A-Za-z][A-Za-z0-9-]*\s*>\s*$/;

/** A value that is markup already: it opens with a tag and ends with one closed, as an editor's content does. */
function wrappedInMarkup(text: string): boolean {
  return OPENS_WITH_TAG.test(text) && CLOSING_TAG.test(text.slice(text.lastIndexOf("</")));
}
/** How markup writes `<`, `>`, `&` and `"` as text (what an editor sends when its user types them). */
const TEXT_ESCAPES = /&(?:lt|gt|amp|quot|LT|GT|AMP|QUOT);/g;

/**
 * The text with its character references decoded, in attribute mode as a browser reads an attribute
 * value (`&notify=` in a URL stays as it is, `&#60` and `&lt;` decode). In a value that is markup
 * already (`<p>Use the &lt;script&gt; tag</p>`, a rich-text editor's), `&lt;`, `&gt;`, `&amp;` and `&quot;`
 * are that markup's text, which its parser never makes a tag: they stay; numeric and other references
 * (`&#106;avascript&colon;`) are decoded, which no editor writes for text. A tag put before escaped
 * markup (`<br>&lt;script ...&gt;`) makes no editor's content: it is decoded whole.
 */
function decodeEntities(text: string): string {
  if (!wrappedInMarkup(text)) return decodeHTML(text, DecodingMode.Attribute);
  let out = "";
  let last = 0;
  for (const m of text.matchAll(TEXT_ESCAPES)) {
    out += decodeHTML(text.slice(last, m.index), DecodingMode.Attribute) + m[0];
    last = m.index + m[0].length;
  }
  return out + decodeHTML(text.slice(last), DecodingMode.Attribute);
}

/** `\b \f \n \r \t \v`: text with escaped line breaks and tabs (`line1\nline2`) escapes these, which count for no letter escaped. */
const CONTROL_ESCAPE_LETTERS = new Set([..."bfnrtv"].map((c) => c.charCodeAt(0)));
/** Letters escaped so (other than those), at least, and at least this share of the text's letters. */
const MIN_ESCAPED_LETTERS = 3;
const ESCAPED_LETTER_SHARE = 0.4;

/**
 * A backslash before most letters (`\j\av\a\s\cr\i\pt\:`, `u\n\a\m\e`): a shell drops each such
 * backslash, and JavaScript drops it before the letters it gives no meaning (a payload for it avoids
 * `\n`, `\t`, ...), so both read the word. The text with every backslash dropped that escapes a
 * character (`\\` is one backslash), or null when fewer of its letters are escaped: a Windows path, a
 * regular expression, LaTeX or text with escaped line breaks escapes a letter here and there.
 */
function withoutLetterEscapes(text: string): string | null {
  let letters = 0;
  let escaped = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) continue;
    letters++;
    if (text.charCodeAt(i - 1) === 0x5c && text.charCodeAt(i - 2) !== 0x5c && !CONTROL_ESCAPE_LETTERS.has(c)) escaped++;
  }
  if (escaped < MIN_ESCAPED_LETTERS || escaped < letters * ESCAPED_LETTER_SHARE) return null;
  return text.replace(/\\([\s\S])/g, "$1");
}

/**
 * Compatibility forms of ASCII (fullwidth `＇ ＵＮＩＯＮ` and `..／`, small `﹤script﹥`, mathematical
 * `𝐔𝐍𝐈𝐎𝐍`, circled `ⓤⓝⓘⓞⓝ`, superscript `ᵘⁿⁱᵒⁿ`, vertical `︰`): NFKC folds them to ASCII, and so do
 * applications that normalize input and servers that convert text to a legacy code page by best fit
 * (IIS, .NET). CJK prose uses the fullwidth punctuation (`，（）；：－`) every day: those count only
 * before ASCII or after a letter or quote (`127.0.0.1；id`, `1）or（1`, `admin'－－`; not `100；数量`),
 * the others (a fullwidth letter, quote, `< > / \ | $ & =` or backtick, a small form, a mathematical
 * letter) always.
 */
const COMPATIBILITY_FORM =
  /[\uff21-\uff3a\uff41-\uff5a\uff02\uff07\uff1c\uff1e\uff0f\uff3c\uff5c\uff04\uff40\uff06\uff1d\ufe50-\ufe6b\ufe10-\ufe1f\ufe30-\ufe4f\u24b6-\u24e9\u02b0-\u02b8\u02e0-\u02e4\u1d2c-\u1d6a\u1d9c-\u1dbf\u2070-\u209c]|\ud835[\udc00-\udfff]|['"A-Za-z][\uff08\uff09\uff0d\uff1b]|[\uff08\uff09\uff0d\uff1b][\x21-\x7e]/;
/**
 * A code unit from U+02B0 up: every alternative of COMPATIBILITY_FORM needs one, and this one-class
 * scan rejects the common Latin text several times faster than the whole pattern does.
 */
const BEYOND_MODIFIER_LETTERS = /[^\u0000-\u02af]/;

/** The code point of `\u{...}` at i (i at the backslash) and the escape's length, or null. */
function braceEscape(s: string, i: number): [number, number] | null {
  let cp = 0;
  let j = i + 3;
  for (; j < s.length && j < i + 10; j++) {
    const d = hexValue(s.charCodeAt(j));
    if (d < 0) break;
    cp = cp * 16 + d;
  }
  if (j === i + 3 || s.charCodeAt(j) !== 0x7d || cp > 0x10ffff) return null;
  return [cp, j + 1 - i];
}

/** `{"` or `["` (blanks aside): a container whose first member is a double-quoted string, as JSON writes one. */
function opensWithString(text: string): boolean {
  let i = 0;
  while (text.charCodeAt(i) <= 0x20) i++;
  i++;
  while (text.charCodeAt(i) <= 0x20) i++;
  return text.charCodeAt(i) === 0x22;
}

/** The one-character escapes of JSON strings, by the letter after the backslash. */
const JSON_SINGLE_ESCAPES: Record<string, string> = { '"': '"', "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * `\xNN`, `\uXXXX`, `\u{...}` and three-digit octal `\NNN`, as JavaScript (and PHP, Python) read them;
 * with `jsonSingles`, also JSON's `\n`, `\t`, `\"`, `\/`, ... and `\\` (a backslash).
 */
export function decodeJsEscapes(s: string, jsonSingles = false): string {
  let out = "";
  let last = 0;
  for (let i = s.indexOf("\\"); i !== -1 && i < s.length - 1; i = s.indexOf("\\", i + 1)) {
    const c = s.charCodeAt(i + 1);
    let cp = -1;
    let len = 2;
    if (c === 0x78 /* x */) {
      cp = hexByteAt(s, i + 2);
      len = 4;
    } else if (c === 0x75 /* u */) {
      if (s.charCodeAt(i + 2) === 0x7b) {
        const b = braceEscape(s, i);
        if (b) [cp, len] = b;
      } else {
        cp = hexUnitAt(s, i + 2);
        len = 6;
      }
    } else if (c >= 0x30 && c <= 0x33) {
      const d2 = s.charCodeAt(i + 2) - 0x30;
      const d3 = s.charCodeAt(i + 3) - 0x30;
      if (d2 >= 0 && d2 <= 7 && d3 >= 0 && d3 <= 7) [cp, len] = [(c - 0x30) * 64 + d2 * 8 + d3, 4];
    } else if (c === 0x5c) {
      // `\\` is an escaped backslash: what follows it is no escape (and JSON's reading is one backslash).
      if (!jsonSingles) {
        i++;
        continue;
      }
      cp = 0x5c;
    } else if (jsonSingles && JSON_SINGLE_ESCAPES[s[i + 1]!] !== undefined) {
      cp = JSON_SINGLE_ESCAPES[s[i + 1]!]!.charCodeAt(0);
    }
    if (cp < 0) continue;
    out += s.slice(last, i) + String.fromCodePoint(cp);
    last = i + len;
    i += len - 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** Bytes that are text: valid UTF-8, at least 90% of it printable (no control characters but tab and newlines). */
function bytesAsText(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  // Control bytes decide most cases before any decoding (UTF-8 continuation bytes are never below 0x80).
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f) control++;
  }
  if (control * 10 > bytes.length || !isUtf8(bytes)) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || (c >= 0x7f && c < 0xa0)) bad++;
  }
  return bad * 10 <= text.length ? text : null;
}

/**
 * UTF-16LE text, every second byte zero under ASCII: what PowerShell's `-EncodedCommand` takes in
 * base64, and .NET writes. Read so when nine in ten of its code units are ASCII text (as bytesAsText
 * asks nine in ten bytes of UTF-8 to be); other UTF-16 is left to bytesAsText's refusal.
 */
function utf16leAsText(bytes: Uint8Array): string | null {
  if (bytes.length < 4 || bytes.length % 2 !== 0) return null;
  let ascii = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    const b = bytes[i]!;
    if (bytes[i + 1] === 0 && ((b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13)) ascii++;
  }
  return ascii * 20 >= bytes.length * 9 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf16le") : null;
}

/** Character classes of ASCII, looked up once per character by the run scanners. */
const ALNUM = 1;
const BASE64 = 2; // A-Z a-z 0-9 + / - _
const HEX = 4;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  CHAR_CLASS[c] = (alnum ? ALNUM | BASE64 : 0) | (c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f ? BASE64 : 0) | (hexValue(c) >= 0 ? HEX : 0);
}

function charIs(c: number, cls: number): boolean {
  return c < 128 && (CHAR_CLASS[c]! & cls) !== 0;
}

/** What joins a hex run to a longer token: letters, digits, and the dashes of UUIDs and hash ids. */
function isWordChar(c: number): boolean {
  return charIs(c, ALNUM) || c === 0x2d;
}

/**
 * Runs of 12+ hex digits, or 4+ after `0x` (an even count, a word of their own, with a letter a-f or a
 * `0x` prefix so plain numbers are left alone, not a dash-joined UUID or hash segment) that spell
 * printable ASCII, replaced by that text in place:
 * `select 0x61646d696e` becomes `select admin`. Null when no run spells text.
 */
export function decodeHexRuns(s: string): string | null {
  let out = "";
  let last = 0;
  let i = 0;
  while (i < s.length) {
    if (!charIs(s.charCodeAt(i), HEX)) {
      i++;
      continue;
    }
    const start = i;
    let letters = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (!charIs(c, HEX)) break;
      if (c > 0x39) letters++;
      i++;
    }
    const prefixed = start >= 2 && s.charCodeAt(start - 1) === 0x78 && s.charCodeAt(start - 2) === 0x30 && (start === 2 || !isWordChar(s.charCodeAt(start - 3)));
    const wordStart = prefixed || start === 0 || !isWordChar(s.charCodeAt(start - 1));
    const len = i - start;
    if (len < (prefixed ? MIN_PREFIXED_HEX_RUN : MIN_HEX_RUN) || len % 2 !== 0 || !wordStart || (i < s.length && isWordChar(s.charCodeAt(i))) || (!letters && !prefixed)) continue;
    const bytes = new Uint8Array(len / 2);
    for (let k = 0; k < bytes.length; k++) bytes[k] = hexByteAt(s, start + 2 * k);
    // Hex-encoded payloads are ASCII; demanding every byte be printable turns away hash ids by chance.
    if (!bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 9 || b === 10 || b === 13)) continue;
    out += s.slice(last, prefixed ? start - 2 : start) + bytesToText(bytes);
    last = i;
  }
  return last === 0 ? null : out + s.slice(last);
}

/**
 * Base64 of ASCII text has a tell: the first character of every 4-character group holds the top six
 * bits of a byte below 0x80, so it is one of A-Z a-f. Checked before decoding, it turns away paths,
 * user agents and random tokens without allocating anything.
 */
function groupsLookLikeText(s: string, start: number, end: number): boolean {
  let groups = 0;
  let ascii = 0;
  for (let i = start; i < end; i += 4) {
    const c = s.charCodeAt(i);
    groups++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 102)) ascii++;
  }
  return ascii * 5 >= groups * 4;
}

/**
 * `eyJ`: the base64 of `{"`, how every token header and JSON document in base64 starts. Such a run is
 * decoded whatever its other groups look like: non-ASCII text in it (a name, or padding put there to
 * look binary) must not hide a token's header; bytesAsText still turns away what is no UTF-8 text.
 */
const startsAsJsonObject = (s: string, start: number) => s.startsWith("eyJ", start);

/** Inflates compressed bytes found in a value (LeafSink.inflate, within the request's budget), or gives null. */
export type Inflater = (bytes: Uint8Array) => Uint8Array | null;

function decodeBase64Run(s: string, start: number, end: number, min: number, inflate?: Inflater): string | null {
  if (end - start < min || (end - start) % 4 === 1) return null;
  const textual = groupsLookLikeText(s, start, end) || startsAsJsonObject(s, start);
  const compressed = inflate !== undefined && end - start >= MIN_COMPRESSED_RUN;
  if (!textual && !compressed) return null;
  // Node's base64 decoder reads the standard and the URL-safe alphabets alike, padding or not.
  const bytes = Buffer.from(s.slice(start, end), "base64");
  const text = textual ? (bytesAsText(bytes) ?? utf16leAsText(bytes)) : null;
  if (text !== null || !compressed) return text;
  // Bytes that are no text may be compressed: gzip or deflate in base64 (a state blob, a SAML request),
  // whatever its groups look like (a gzip stream may open with a file name in plain letters).
  const inflated = inflate(bytes);
  if (inflated) return bytesAsText(inflated) ?? serializedObjects(inflated);
  return serializedObjects(bytes);
}

/**
 * Binary streams that rebuild objects when read: Java serialization (`AC ED 00 05`), .NET's
 * BinaryFormatter (`00 01 00 00 00 FF FF FF FF`) and an ObjectStateFormatter stream holding one
 * (`FF 01 32`: a LosFormatter payload, a forged ViewState), Python pickle protocols 2 to 5 (`80 02`..`80 05`).
 * They are no text, but the classes they name and their headers are the deserialization analyzer's
 * evidence, also once compressed: they are read byte for byte (latin1). Other binary stays unread.
 */
const SERIALIZED_MAGIC: readonly (readonly number[])[] = [
  [0xac, 0xed, 0x00, 0x05],
  [0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
  [0xff, 0x01, 0x32],
  [0x80, 0x02], [0x80, 0x03], [0x80, 0x04], [0x80, 0x05],
];

function serializedObjects(bytes: Uint8Array): string | null {
  const opens = SERIALIZED_MAGIC.some((magic) => magic.every((b, i) => bytes[i] === b));
  return opens ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1") : null;
}

/**
 * The pieces of a run that did not decode whole: its `/`-separated segments (a path), and a segment
 * that does not decode either, between its `-` and `_` (`XYW_eyJ...`: a prefix and a token). The last
 * piece takes the run's padding (`padded`: where the padding ends).
 */
function decodePieces(s: string, start: number, end: number, padded: number, found: string[], inflate?: Inflater): void {
  const piece = (from: number, to: number) => {
    const withPadding = to === end ? padded : to;
    return decodeBase64Run(s, from, to, isToken(s, from, withPadding) ? MIN_BASE64_TOKEN - (withPadding - to) : MIN_BASE64_RUN, inflate);
  };
  for (let from = start; from <= end && found.length < MAX_BASE64_RUNS; ) {
    let to = s.indexOf("/", from);
    if (to === -1 || to > end) to = end;
    const whole = piece(from, to);
    if (whole !== null) found.push(whole);
    else {
      let subStart = from;
      for (let k = from; k <= to && found.length < MAX_BASE64_RUNS; k++) {
        const c = k < to ? s.charCodeAt(k) : 0x2d;
        if (c !== 0x2d && c !== 0x5f) continue;
        if (subStart > from || k < to) {
          const sub = piece(subStart, k);
          if (sub !== null) found.push(sub);
        }
        subStart = k + 1;
      }
    }
    from = to + 1;
  }
}

/**
 * A token standing alone: [start, end) (padding included) is a multiple of 4 long, and nothing but a
 * separator (`/`, `-`, `_`, the text's bounds) stands around it.
 */
function isToken(s: string, start: number, end: number): boolean {
  if ((end - start) % 4 !== 0) return false;
  const before = start === 0 ? -1 : s.charCodeAt(start - 1);
  const after = end === s.length ? -1 : s.charCodeAt(end);
  const bounded = (c: number) => c === -1 || c === 0x2f || c === 0x2d || c === 0x5f;
  return bounded(before) && bounded(after);
}

/**
 * Runs of 12+ base64 (or base64url) characters that decode to text, each decoded whole (a padded token
 * alone from 8 on). A run that does not, but holds `-`, `_` or `/`, is tried piece by piece too:
 * `XYW_eyJ...` is a prefix and a base64 token, `/files/PHNjcmlwdD4` a path with one.
 */
export function decodeBase64Runs(s: string, inflate?: Inflater): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < s.length && found.length < MAX_BASE64_RUNS) {
    if (!charIs(s.charCodeAt(i), BASE64)) {
      i++;
      continue;
    }
    const start = i;
    let separators = 0;
    while (i < s.length && charIs(s.charCodeAt(i), BASE64)) {
      const c = s.charCodeAt(i);
      if (c === 0x2d || c === 0x5f || c === 0x2f) separators++;
      i++;
    }
    const end = i;
    while (i < s.length && s.charCodeAt(i) === 0x3d && i - end < 2) i++; // `=` padding
    const whole = decodeBase64Run(s, start, end, isToken(s, start, i) ? MIN_BASE64_TOKEN - (i - end) : MIN_BASE64_RUN, inflate);
    if (whole !== null) {
      found.push(whole);
      continue;
    }
    if (separators && i - start >= MIN_BASE64_TOKEN) decodePieces(s, start, end, i, found, inflate);
  }
  return found;
}
