/**
 * The one shape of a request that every stage after parsing works on, whichever way it arrived
 * (a log line of any format, a raw HTTP request, an inline check).
 */

/** Where a parameter was found. */
export type ParamLocation = "query" | "body";

/** One decoded parameter. Order and repeated names are kept as they were sent. */
export interface Param {
  name: string;
  value: string;
  /** Name and value exactly as they appeared on the wire (still percent-encoded). */
  rawName: string;
  rawValue: string;
  location: ParamLocation;
}

/** Where a request came from, so that evidence can point back at the original bytes. */
export interface RequestOrigin {
  /** File path, `stdin`, `tail:<path>` or `inline`. */
  source: string;
  /** 1-based line number of the (first) line of the record, when the source is line based. */
  line?: number;
  /** Byte offset of the record's first byte in the (decompressed) source. */
  offset?: number;
}

/**
 * The largest body a source may keep (the ceiling of mirror.max_body_bytes). Each source keeps up to its
 * own configured limit; the decompose stage reads all a source kept, so that limit is the operator's.
 */
export const MAX_KEPT_BODY_BYTES = 64 * 1_048_576;

export interface HttpRequest {
  /** Epoch milliseconds, or null when the source does not say. */
  time: number | null;
  clientIp: string;
  method: string;
  /** Path exactly as sent (not decoded), without the query. */
  path: string;
  /** Raw query string without the leading `?` ("" when absent). */
  query: string;
  /** Decoded query parameters, then decoded urlencoded body parameters. */
  params: Param[];
  protocol: string;
  status: number | null;
  bytesSent: number | null;
  referer: string;
  userAgent: string;
  host: string;
  /**
   * The authority of an absolute-form request target (`GET http://169.254.169.254/ HTTP/1.1`), which a
   * server or proxy goes by instead of `Host` (RFC 9112, 3.2.2); absent for the usual origin form.
   */
  targetHost?: string;
  /** Seconds, as nginx's `$request_time`. */
  requestTime: number | null;
  /** Header names lower-cased, in the order seen; repeated headers kept. */
  headers: [string, string][];
  cookies: { name: string; value: string }[];
  /** Request body when the source has it (raw HTTP, `$request_body`, a mirrored copy), bytes as latin1 when binary. */
  body: string | null;
  /**
   * Set only when `body` holds just the start of the body (a mirrored body over the limit): the real
   * size in bytes. The rest was not judged, and the verdict and the stored row say so.
   */
  bodyBytes?: number;
  /** Fields the source carried that have no place above (e.g. `$upstream_addr`). */
  extra: Record<string, string>;
  origin: RequestOrigin;
}

/** A record that could not be turned into a request. It is counted and sampled, never thrown. */
export interface ParseError {
  kind: "parse-error";
  /** Name of the parser that rejected it. */
  format: string;
  /** What was wrong, for a person. */
  reason: string;
  /** 0-based column in the record where parsing stopped, when known. */
  column?: number;
  /** What the parser expected at `column`, when known. */
  expected?: string;
  text: string;
  origin: RequestOrigin;
}

export type ParseResult = HttpRequest | ParseError;

export function isParseError(r: ParseResult): r is ParseError {
  return (r as ParseError).kind === "parse-error";
}

/** First value of a header (name is matched case-insensitively). */
export function headerValue(req: Pick<HttpRequest, "headers">, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of req.headers) if (n === lower) return v;
  return undefined;
}

/** nginx's `$request_id` is 32 hex digits; other proxies' ids are similar tokens. Anything else is not an id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The request's id as its source gave it (`$request_id` in a log format, the mirror's header), or
 * null: it joins a mirrored copy to its log line, so a value that is not an id token is ignored.
 */
export function requestIdOf(req: Pick<HttpRequest, "extra">): string | null {
  const id = req.extra.request_id;
  return id !== undefined && REQUEST_ID.test(id) ? id : null;
}
