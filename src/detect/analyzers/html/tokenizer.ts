/**
 * A linear HTML tokenizer that reads markup the way a browser's does, leniency included: tag names end
 * at space, `/` or `>` (`<svg/onload=...>`), attributes are split by space or `/`, values may be
 * unquoted or (as old IE read them) quoted with backticks, a tag need not be closed, NUL bytes in names
 * are ignored (as old engines did), names are
 * matched case-insensitively, and comments end at the first `-->`. Only what matters for script
 * injection is kept: start tags with their attributes (processing instructions as tags named `?name`),
 * end tags, and the bodies of `<script>` and `<style>`. Every span points into the text given.
 */
import { isAsciiLetter, isSpaceCode } from "../text.ts";

export interface Attr {
  /** Lower-cased, NUL bytes removed. */
  name: string;
  start: number;
  /** The raw value (entities not decoded); "" when the attribute has none. */
  value: string;
  valueStart: number;
  valueEnd: number;
  hasValue: boolean;
}

export interface Tag {
  /** Lower-cased, NUL bytes removed. */
  name: string;
  start: number;
  /** After the `>`, or the end of the text when the tag was not closed. */
  end: number;
  closed: boolean;
  isEnd: boolean;
  attrs: Attr[];
  /** For `<script>` and `<style>`: the raw-text body up to the matching end tag (or the end). */
  bodyStart: number;
  bodyEnd: number;
}

/** HTML's spaces, and the vertical tab old IE took for one (`<img\vsrc=x\vonerror=...>`). */
const isSpace = isSpaceCode;

/** Reads a name from i up to a stop character; NUL bytes are dropped, the rest lower-cased. */
function readName(s: string, i: number, end: number, stop: (c: number) => boolean): [string, number] {
  let k = i;
  while (k < end && !stop(s.charCodeAt(k))) k++;
  const name = s.slice(i, k);
  return [(name.indexOf("\0") === -1 ? name : name.replaceAll("\0", "")).toLowerCase(), k];
}

const endsTagName = (c: number) => isSpace(c) || c === 47 || c === 62;
const endsAttrName = (c: number) => isSpace(c) || c === 47 || c === 62 || c === 61;

/**
 * Attributes from i until a `>` (inclusive) or the end: [attributes, index after them, closed].
 * Also used on a value that may break out of an attribute it was placed in.
 */
export function scanAttributes(s: string, i: number, end: number): [Attr[], number, boolean] {
  const attrs: Attr[] = [];
  while (i < end) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 47 || c === 0) {
      i++;
      continue;
    }
    if (c === 62) return [attrs, i + 1, true];
    // A leading `=` belongs to the name (the spec's parse error), so a name is never empty.
    const lead = c === 61 ? 1 : 0;
    const [rest, nameEnd] = readName(s, i + lead, end, endsAttrName);
    const attr: Attr = { name: lead ? `=${rest}` : rest, start: i, value: "", valueStart: nameEnd, valueEnd: nameEnd, hasValue: false };
    let k = nameEnd;
    while (k < end && isSpace(s.charCodeAt(k))) k++;
    if (k < end && s.charCodeAt(k) === 61) {
      k++;
      while (k < end && isSpace(s.charCodeAt(k))) k++;
      const q = s.charCodeAt(k);
      // Old IE took a backtick as a quote (`src=`x`onerror=...` is two attributes there), when the
      // closing one comes before a space; otherwise the backtick is an unquoted value's first character.
      if (q === 34 || q === 39 || (q === 96 && backtickCloses(s, k + 1, end))) {
        const close = s.indexOf(String.fromCharCode(q), k + 1);
        const valueEnd = close === -1 || close >= end ? end : close;
        Object.assign(attr, { value: s.slice(k + 1, valueEnd), valueStart: k + 1, valueEnd, hasValue: true });
        k = valueEnd + 1;
      } else {
        let e = k;
        while (e < end && !isSpace(s.charCodeAt(e)) && s.charCodeAt(e) !== 62) e++;
        Object.assign(attr, { value: s.slice(k, e), valueStart: k, valueEnd: e, hasValue: true });
        k = e;
      }
    }
    attrs.push(attr);
    i = Math.min(k, end);
  }
  return [attrs, end, false];
}

/** Does a backtick close the value from i before a space or `>`? */
function backtickCloses(s: string, i: number, end: number): boolean {
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === 96) return true;
    if (isSpace(c) || c === 62) return false;
  }
  return false;
}

/** Elements whose body is raw text up to their end tag, and that text is code. */
const RAW_TEXT = new Set(["script", "style"]);

/** Where `</name` (any case) first starts in s[from, end), or end. */
function endTagAt(s: string, name: string, from: number, end: number): number {
  for (let i = s.indexOf("</", from); i !== -1 && i < end; i = s.indexOf("</", i + 2)) {
    if (s.slice(i + 2, i + 2 + name.length).toLowerCase() === name) return i;
  }
  return end;
}

/**
 * Start and end tags of s[start, end). Inside a comment, tags are read too (old IE ran
 * conditional comments; filters are fooled by them), but a nested `<!--` is plain text.
 */
export function tokenizeHtml(s: string, start = 0, end = s.length, inComment = false): Tag[] {
  const tags: Tag[] = [];
  let i = s.indexOf("<", start);
  while (i !== -1 && i < end) {
    const c = s.charCodeAt(i + 1);
    if (c === 33 /* ! */ || (c === 63 /* ? */ && !isAsciiLetter(s.charCodeAt(i + 2)))) {
      if (!inComment && s.startsWith("<!--", i)) {
        const close = s.indexOf("-->", i + 4);
        const bodyEnd = close === -1 || close >= end ? end : close;
        for (const t of tokenizeHtml(s, i + 4, bodyEnd, true)) tags.push(t);
        i = s.indexOf("<", bodyEnd);
        continue;
      }
      // A CDATA section is text to an XML parser (an IE data island), and its text is read as markup there.
      if (s.startsWith("<![CDATA[", i)) {
        i = s.indexOf("<", i + 9);
        continue;
      }
      // `<!DOCTYPE ...>`, `<?>`: bogus comments up to `>`.
      const gt = s.indexOf(">", i + 2);
      i = gt === -1 || gt >= end ? -1 : s.indexOf("<", gt);
      continue;
    }
    const isEnd = c === 47;
    // A processing instruction (`<?import implementation=...>`, `<?xml-stylesheet href=...?>`) is a tag
    // named `?name`: old IE and XML parsers act on its pseudo-attributes.
    const pi = c === 63;
    const nameStart = isEnd || pi ? i + 2 : i + 1;
    // A NUL between `<` and the name was skipped by old engines: `<\0script>`.
    let n = nameStart;
    while (n < end && s.charCodeAt(n) === 0) n++;
    if (!isAsciiLetter(s.charCodeAt(n))) {
      i = s.indexOf("<", i + 1);
      continue;
    }
    const [read, nameEnd] = readName(s, n, end, endsTagName);
    const name = pi ? `?${read}` : read;
    // End tags carry no attributes a browser keeps: skip to their `>`.
    const [attrs, after, closed] = isEnd ? skipToGt(s, nameEnd, end) : scanAttributes(s, nameEnd, end);
    const tag: Tag = { name, start: i, end: after, closed, isEnd, attrs, bodyStart: after, bodyEnd: after };
    tags.push(tag);
    i = after;
    if (!isEnd && closed && RAW_TEXT.has(name)) {
      tag.bodyEnd = endTagAt(s, name, after, end);
      i = tag.bodyEnd;
    }
    i = i >= end ? -1 : s.indexOf("<", i);
  }
  return tags;
}

function skipToGt(s: string, i: number, end: number): [Attr[], number, boolean] {
  const gt = s.indexOf(">", i);
  return gt === -1 || gt >= end ? [[], end, false] : [[], gt + 1, true];
}
