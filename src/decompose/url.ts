/**
 * URLs inside a request: the Referer and Origin headers, and values that are themselves URLs. A URL as a
 * whole is not judged (where a request came from is never SSRF or an open redirect in itself); its path
 * and its query parameters are, like the site's own.
 */
import { parseParams, percentDecode } from "../parse/decode.ts";
import type { Encoding, FieldLocation } from "./leaf.ts";
import type { LeafSink } from "./sink.ts";

export interface UrlParts {
  /** Still percent-encoded. */
  path: string;
  /** Without `?` and without the fragment; still percent-encoded. */
  query: string;
}

/** `scheme://` at the start (one pass, no backtracking: the character classes do not overlap `:`). */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]{0,30}:\/\//;
/** What an authority (userinfo, host, port) may hold; anything else means the text is not really a URL. */
const AUTHORITY = /^[\w.~%!$&'()*+,;=:@[\]-]*$/;

/**
 * Splits an absolute (`https://host/p?q#f`) or protocol-relative (`//host/p?q`) URL; null when the text
 * is not one, or its authority holds characters no host has (then the text is judged whole instead).
 */
export function splitUrl(text: string): UrlParts | null {
  let start: number;
  if (text.startsWith("//")) start = 2;
  else {
    const scheme = SCHEME.exec(text);
    if (!scheme) return null;
    start = scheme[0].length;
  }
  let end = start;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // / ? #
    end++;
  }
  if (end === start || !AUTHORITY.test(text.slice(start, end))) return null;
  const hash = text.indexOf("#", end);
  const rest = hash === -1 ? text.slice(end) : text.slice(end, hash);
  const q = rest.indexOf("?");
  return q === -1 ? { path: rest, query: "" } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

export interface UrlLeafBase {
  location: FieldLocation;
  /** The path of the leaves' parent: `header.referer`, `query.next~url-in-value`. */
  path: string;
  encodings: Encoding[];
  layer: number;
}

/**
 * The query of a value that is a URL: absolute, protocol-relative or root-relative (`/account?tab=1`, as
 * redirect parameters carry); null when the value is no URL or has no query.
 */
export function queryOfUrlValue(text: string): string | null {
  const url = splitUrl(text);
  if (url) return url.query || null;
  if (text.charCodeAt(0) !== 0x2f) return null;
  const q = text.indexOf("?");
  if (q === -1) return null;
  const hash = text.indexOf("#", q);
  return (hash === -1 ? text.slice(q + 1) : text.slice(q + 1, hash)) || null;
}

/** The URL's query parameters as leaves `<base>.query.<name>` (values, and names that are not plain words). */
export function addUrlQueryLeaves(sink: LeafSink, query: string, base: UrlLeafBase): void {
  for (const p of parseParams(query, "query")) {
    const path = `${base.path}.query.${p.name}`;
    if (!sink.key(base.location, path, p.name, base.encodings, base.layer)) return;
    if (!sink.value(base.location, path, p.name, p.value, "value", base.encodings, base.layer)) return;
  }
}

/** `host/path?query` without a scheme: what a hand-made Referer looks like (no space before the `?`). */
const SCHEMELESS_QUERY = /^[^\s?#]+\?([^#]*)/;

/**
 * A Referer or Origin header: its path (`header.referer.path`, unless it is just `/`) and its query
 * parameters; a value that is not a URL is judged whole, as any header is, and its query (after a
 * scheme-less `host/path?`) is read too: an application that parses the header decodes it like any.
 */
export function addSourceUrlLeaves(sink: LeafSink, header: string, value: string): void {
  const url = splitUrl(value);
  const path = `header.${header}`;
  if (!url) {
    if (!sink.value("header", path, header, value)) return;
    const query = SCHEMELESS_QUERY.exec(value)?.[1];
    if (query) addUrlQueryLeaves(sink, query, { location: "header", path, encodings: [], layer: 0 });
    return;
  }
  if (url.path !== "" && url.path !== "/") sink.value("header", `${path}.path`, header, percentDecode(url.path), "path");
  addUrlQueryLeaves(sink, url.query, { location: "header", path, encodings: [], layer: 0 });
}
