/**
 * The decompose stage's output: every value a request carries, however deeply it is nested or encoded,
 * as one Leaf with the path that says where it sat. Analyzers and models judge leaves, never requests.
 */
/** Bumped whenever what decompose makes of a request changes: models record the version they learned from. */
export const DECOMPOSE_VERSION = 20;

/** The request parts a value can come from. */
export const FIELD_LOCATIONS = ["path", "query", "body", "cookie", "header"] as const;
export type FieldLocation = (typeof FIELD_LOCATIONS)[number];

/** How a leaf's text was reached beyond the part's own decoding; each is recorded, since layering is a signal. */
export const ENCODINGS = [
  "url", // a further URL decoding (the text was double-encoded)
  "base64", // base64 or base64url
  "hex", // a run of hex digits spelling text
  "js-escape", // \xNN, \uXXXX, \u{...}, octal escapes
  "html-entity", // named (the full HTML5 table) or numeric character references
  "gzip", // a gzip or deflate body
  "json", // JSON found inside a parameter or a header
  "url-in-value", // a URL or a query string found inside a value (its query parameters become leaves)
  "quoted-printable", // a multipart part's Content-Transfer-Encoding
  "nfkc", // compatibility forms of ASCII folded by NFKC (fullwidth, small, mathematical; a legacy code page's best fit too)
] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** What a leaf is in the language of its container: analyzers weigh a JSON key unlike a value. */
export const LEAF_KINDS = [
  "value", // a parameter, cookie, header, JSON, form or XML value
  "key", // a parameter name, JSON key, XML element or attribute name
  "path", // the URL path (whole)
  "filename", // a multipart part's filename
  "part-header", // a multipart part's own header value
  "xml-doctype", // a DOCTYPE with its internal subset
  "xml-pi", // a processing instruction
  "graphql", // a GraphQL document
  "text", // a body of no known structure, judged whole
] as const;
export type LeafKind = (typeof LEAF_KINDS)[number];

/**
 * One value of a request and where it sat. Read-only: the decompose stage shares one reading of a
 * repeated header line between requests (request.ts), so a leaf is never changed once made; a
 * stage that needs another text makes another leaf.
 */
export interface Leaf {
  /** The request part it came from (what the site profile and the location features know). */
  readonly location: FieldLocation;
  /** Where it sat: `path`, `query.id`, `header.referer.query.q`, `body.json.user.name`, `body.multipart.f.filename`. */
  readonly path: string;
  /** Its own name: the parameter, key, header or part name; "" for the path and a whole body. */
  readonly name: string;
  /** The value as the application reads it (after the part's own decoding: a query value is URL-decoded once). */
  readonly text: string;
  readonly kind: LeafKind;
  /** The decodings that led from the part's text to this one, outermost first; [] for a plain value. */
  readonly encodings: readonly Encoding[];
}

const ROUTE_VALUE_PREFIX = "path.segment[";

/** A path segment read as a route's value (`path.segment[2]`: the third segment, counted from 0). */
export function routeValuePath(segment: number): string {
  return `${ROUTE_VALUE_PREFIX}${segment}]`;
}

/**
 * The request field a leaf belongs to, from its path: a reading derived from a value (`query.q~base64`,
 * `path~unpadded`, `body.json.a~json.b`) is its value's, and a route value (`path.segment[2]`) is the
 * path's. What an operator allows or a report groups by is the field, whichever reading scored.
 */
export function fieldOfLeaf(path: string): string {
  const derived = path.indexOf("~");
  const base = derived === -1 ? path : path.slice(0, derived);
  return base.startsWith(ROUTE_VALUE_PREFIX) ? "path" : base;
}

/** Whether the leaf at `path` is a reading derived from the value at `of` (`query.q~base64` of `query.q`): that value again. */
export function isReadingOf(path: string, of: string): boolean {
  return path.length > of.length && path.charCodeAt(of.length) === 0x7e && path.startsWith(of);
}

/** Whether the leaf at `path` is a base64 reading of the value before it (`query.q~base64`, `~base64#2`). */
export function isBase64Reading(path: string): boolean {
  const at = path.lastIndexOf("~base64");
  return at !== -1 && (at + 7 === path.length || (path.charCodeAt(at + 7) === 0x23 /* # */ && path.indexOf("~", at + 1) === -1));
}

/** Counted conditions of the request as a whole. */
export const REQUEST_FLAGS = [
  "body-oversize", // more body than the decompose limit: the rest was not looked at, and that is flagged
  "body-unparsed", // the body claimed a structure (JSON, XML, multipart, GraphQL) it does not have
  "too-many-leaves", // the leaf limit was reached: the rest was judged as one text a request part
  "too-deep", // nesting (JSON, XML, encodings) went past the depth limit
] as const;
export type RequestFlag = (typeof REQUEST_FLAGS)[number];

export interface Decomposed {
  leaves: Leaf[];
  flags: RequestFlag[];
}

/** A header's own leaf (`header.<name>`), not a reading of it (`~base64`) nor a part of a Referer's URL. */
export function isHeaderOwnLeaf(leaf: Pick<Leaf, "location" | "path" | "name">): boolean {
  return leaf.location === "header" && leaf.path.length === leaf.name.length + "header.".length;
}
