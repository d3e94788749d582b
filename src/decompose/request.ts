/**
 * The parts of a request outside its body: the path, query parameters, cookies and headers, each value
 * as the application reads it (decoded once), names that are not plain words as key leaves.
 *
 * Headers: every header an attacker can fill is judged (Shellshock works in any header, SQLi sits in
 * X-Forwarded-For, XSS in Accept), whatever browsers usually send in it. Only these are left out:
 * - `host` when it is a host name or address with a port, as every client sends it: it chose this
 *   server and site, and judging it would make every request to an IP address or `localhost` look
 *   like SSRF. Anything else in it (`ELT(1=1,SLEEP(5))`, `x'<"`) is what a scanner put there for an
 *   application that writes the host into a query, a link or a log, and is judged;
 * - `content-length`, `connection`: framing read by the server itself before any application sees it;
 * - `cookie`: judged cookie by cookie;
 * - `referer`, `origin`: judged as URLs (their path and query), never whole (see url.ts).
 */
import type { HttpRequest } from "../core/http-request.ts";
import { percentDecode } from "../parse/decode.ts";
import { addGraphqlLeaves, looksLikeGraphql } from "./body/graphql.ts";
import { routeValuePath, type Leaf } from "./leaf.ts";
import { DEFAULT_DECOMPOSE_LIMITS } from "./limits.ts";
import { RepeatCache } from "../core/generational-cache.ts";
import { isPlainName, type LeafSink } from "./sink.ts";
import { addSourceUrlLeaves } from "./url.ts";

const SKIPPED_HEADERS = new Set(["content-length", "connection", "cookie"]);
/**
 * A host name, with a port or not: the Host every browser sends, nothing to judge. An address is kept
 * (`Host: 169.254.169.254` asks a proxy that routes by Host for the cloud's metadata service), and so is
 * anything that is no plain name.
 */
const HOST_LABELS = /^(?:[A-Za-z0-9_-]+\.)*([A-Za-z0-9_-]+)\.?(?::\d{0,5})?$/;

/** A host name: labels, the last one starting with a letter (`0xa9fea9fe`, an address in hex, is none). */
function plainHostName(value: string): boolean {
  const last = HOST_LABELS.exec(value)?.[1];
  return last !== undefined && /^[A-Za-z]/.test(last);
}
const SOURCE_URL_HEADERS = new Set(["referer", "origin"]);

/**
 * Headers whose values browsers fill from a fixed vocabulary (media types, languages, product tokens,
 * dates, cache directives, ETags) and that applications read as such, never base64- or hex-decoding
 * them. They are judged as leaves like any header; only the search for base64 and hex runs inside them
 * is skipped: it can find nothing a browser put there and nothing the application would undo, and on
 * a long User-Agent it is most of a request's decompose time. A value that is one such token as a
 * whole, which no browser sends, is still decoded (encodings.ts).
 */
const VOCABULARY_HEADERS = new Set([
  "accept", "accept-charset", "accept-encoding", "accept-language", "user-agent", "cache-control", "pragma",
  "if-modified-since", "if-unmodified-since", "if-none-match", "if-match", "if-range", "upgrade-insecure-requests",
  "dnt", "sec-gpc", "te", "priority", "purpose", "sec-purpose", "x-requested-with",
]);

export function isVocabularyHeader(name: string): boolean {
  return VOCABULARY_HEADERS.has(name) || name.startsWith("sec-ch-") || name.startsWith("sec-fetch-");
}

/**
 * The URL path, decoded once and kept whole; and each segment that held percent escapes, decoded, as
 * the value of its own that a route reads (`/files/{name}/view` gets `name` after splitting on the
 * literal slashes): `/files/%2Fvar%2Flog%2Fauth.log/view` names a system file, `/run/net%20view` a
 * command, though neither starts the path. A client escapes a segment's slashes, spaces and quotes
 * only when the segment is one value. No count is capped (escaped filler segments would push a
 * payload past it): past the request's leaf limit they are judged together, and a text repeated is
 * read once.
 */
export function addPathLeaf(sink: LeafSink, req: HttpRequest): void {
  if (!sink.value("path", "path", "", percentDecode(req.path), "path") || req.path.indexOf("%") === -1) return;
  const segments = req.path.split("/");
  const read = new Set<string>();
  // From 0: a request target need not start with a slash (`..%2f..%2fetc`).
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    if (raw.indexOf("%") === -1) continue;
    const text = percentDecode(raw);
    if (text === raw || read.has(text)) continue;
    read.add(text);
    if (!sink.value("path", routeValuePath(i), "", text)) return;
  }
}

/**
 * Query parameters (`query.<name>`). A `query` parameter that parses as GraphQL (GraphQL over GET) is
 * also read as a document, its strings as leaves.
 */
export function addQueryLeaves(sink: LeafSink, req: HttpRequest): void {
  let bare: Set<string> | undefined;
  for (const p of req.params) {
    if (p.location !== "query") continue;
    const path = `query.${p.name}`;
    if (!sink.key("query", path, p.name)) return;
    // A piece whose name is no plain word (`/cgi-bin/view?../../etc/passwd`, `?' or 1=1--`) is a value,
    // whole, to an application that reads its query string as it came (CGI's QUERY_STRING, PHP's
    // $_SERVER['QUERY_STRING']): judged as one too, `=` and all.
    if (!isPlainName(p.name)) {
      const whole = p.rawValue === "" && (bare ??= bareQueryPieces(req.query)).has(p.rawName) ? p.name : `${p.name}=${p.value}`;
      if (!sink.value("query", `${path}~bare`, p.name, whole)) return;
    }
    if (p.name === "query" && looksLikeGraphql(p.value) && addGraphqlLeaves(sink, p.value, { location: "query", path, name: p.name, encodings: [], layer: 0 })) continue;
    if (!sink.value("query", path, p.name, p.value)) return;
  }
}

/** The query's pieces without `=`, as sent. */
function bareQueryPieces(query: string): Set<string> {
  return new Set(query.split("&").filter((piece) => piece !== "" && piece.indexOf("=") === -1));
}

/** Cookies (`cookie.<name>`), percent-decoded once as server frameworks read them. */
export function addCookieLeaves(sink: LeafSink, req: HttpRequest): void {
  for (const c of req.cookies) {
    const path = `cookie.${c.name}`;
    if (!sink.key("cookie", path, c.name)) return;
    if (!sink.value("cookie", path, c.name, c.value.indexOf("%") === -1 ? c.value : percentDecode(c.value))) return;
  }
}

/**
 * Headers (`header.<name>`), Referer and Origin as URLs. An absolute-form target's authority is the
 * Host a server or a proxy goes by (`GET http://169.254.169.254/ HTTP/1.1`): judged as one, whatever
 * the `Host` header says.
 */
export function addHeaderLeaves(sink: LeafSink, req: HttpRequest): void {
  const target = req.targetHost;
  // Once when the Host header says the same.
  if (target && !plainHostName(target) && !req.headers.some(([n, v]) => n === "host" && v === target) && !addHeader(sink, "host", target)) return;
  for (const [name, value] of req.headers) {
    if (SKIPPED_HEADERS.has(name) || !value || (name === "host" && plainHostName(value))) continue;
    if (!addHeader(sink, name, value)) return;
  }
}

/**
 * The leaves a header line gave: a client sends its User-Agent, Accept and Referer word for word
 * request after request, and their readings (decodings, URL parts) are the same each time. Kept by
 * the value, then by the names it came under (a few), so that no separator can join a name and a
 * value into another line's key. Only short lines and readings that met no limit and inflated nothing
 * are kept, so memory stays bounded whatever is sent, and a reading cut by a limit or charged to a
 * request's inflate budget is always done again. Every request
 * that replays a reading gets the very same objects: a Leaf is read-only (leaf.ts). Not frozen: a
 * frozen object's other shape slowed every analyzer that reads leaves of both kinds by a tenth.
 */
interface HeaderReading {
  name: string;
  leaves: readonly Leaf[];
  next: HeaderReading | undefined;
}

const recentHeaders = new RepeatCache<HeaderReading>(4096);
/** Name and value together: what one kept line may hold, its leaves holding the value's readings. */
const CACHED_LINE_CHARS = 320;
const CACHED_HEADER_LEAVES = 8;
const NAMES_PER_VALUE = 4;

function addHeader(sink: LeafSink, name: string, value: string): boolean {
  // Other limits (a test's, a caller's) read differently: only the defaults' readings are shared.
  const cacheable = sink.limits === DEFAULT_DECOMPOSE_LIMITS && name.length + value.length <= CACHED_LINE_CHARS;
  const first = cacheable ? recentHeaders.get(value) : undefined;
  let names = 0;
  for (let seen = first; seen; seen = seen.next, names++) {
    // A reading that no longer fits under the leaf limit is done afresh: what does not fit goes to the part's rest.
    if (seen.name === name) return sink.replay(seen.leaves) || readHeader(sink, name, value);
  }
  const leaves = sink.leaves.length;
  const flags = sink.flagsRaised;
  const inflations = sink.inflations;
  const more = readHeader(sink, name, value);
  const read = sink.leaves.length - leaves;
  // A reading that inflated a compressed run is done again each time, within each request's budget:
  // replayed, a line repeated a few hundred times would bring megabytes each past the budget.
  const kept = sink.flagsRaised === flags && sink.inflations === inflations;
  if (cacheable && more && kept && read <= CACHED_HEADER_LEAVES && sink.leaves.length < sink.limits.maxLeaves) {
    const reading: HeaderReading = { name, leaves: sink.leaves.slice(leaves), next: first?.next };
    if (!first) recentHeaders.set(value, reading);
    else if (names < NAMES_PER_VALUE) first.next = reading;
  }
  return more;
}

function readHeader(sink: LeafSink, name: string, value: string): boolean {
  if (SOURCE_URL_HEADERS.has(name)) {
    addSourceUrlLeaves(sink, name, value);
    return true;
  }
  const path = `header.${name}`;
  return sink.key("header", path, name) && sink.value("header", path, name, value);
}
