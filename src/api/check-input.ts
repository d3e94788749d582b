/**
 * What an inline check accepts, and how it becomes an HttpRequest. A check is either the JSON object
 * `{ method, path, query_params?, headers?, body?, client_ip? }` or a raw HTTP request as text (a
 * text body, or a JSON string). Everything here is pure: text in, checked input or request out, and
 * every problem is an ApiError whose message says what is wrong (and, in a batch, which item).
 */
import { t, type Static, type TSchema } from "elysia";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { isParseError, type HttpRequest, type RequestOrigin } from "../core/http-request.ts";
import { assembleRequest } from "../parse/assemble.ts";
import { rawHttpParser } from "../parse/raw-http.ts";
import { ApiError } from "./envelope.ts";
import { compiledCheck } from "../core/schema-types.ts";
import { JsonDepthError, parseJson } from "../core/json.ts";
import { tooDeepMessage } from "./json-body.ts";

export interface CheckLimits {
  /** Largest check request (a single body, or one item of a batch), in bytes. */
  maxCheckBytes: number;
  /** Most check requests in one batch. */
  maxBatchItems: number;
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = { maxCheckBytes: 1_048_576, maxBatchItems: 1000 };

const INLINE: RequestOrigin = { source: "inline" };

/** Query and header values: what clients naturally send (numbers and flags too), one or repeated. */
const Scalar = t.Union([t.String(), t.Number(), t.Boolean()]);
const Values = t.Union([t.String(), t.Number(), t.Boolean(), t.Array(Scalar)], { description: "a string, number or boolean, or an array of them (a repeated name)" });

const CheckRequest = t.Object({
  method: t.String({ pattern: "^[A-Za-z][A-Za-z0-9_-]*$", maxLength: 32, description: "an HTTP method token such as GET" }),
  path: t.String({ minLength: 1, description: "a non-empty request target such as /search (a ?query in it is kept)" }),
  query_params: t.Optional(t.Record(t.String(), Values, { description: "an object of decoded query parameters (name → value or values)" })),
  headers: t.Optional(t.Record(t.String(), Values, { description: "an object of request headers (name → value or values)" })),
  body: t.Optional(t.Unknown({ description: "the request body: a string as sent, or any JSON value (sent as JSON)" })),
  client_ip: t.Optional(t.String({ description: "the client's address (default: the checked request's X-Real-IP or X-Forwarded-For)" })),
});
export type CheckRequestT = Static<typeof CheckRequest>;

const RawHttpRequest = t.String({ minLength: 1, description: "a raw HTTP request: request line, headers, blank line, body" });
export const CheckInput = t.Union([CheckRequest, RawHttpRequest]);
export type CheckInputT = Static<typeof CheckInput>;

const JSON_CONTENT_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** `/headers/x-a/0` → `headers.x-a[0]` */
function fieldName(path: string): string {
  return path.split("/").filter(Boolean).map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i ? `.${part}` : part)).join("");
}

function describeError(error: ValueError): string {
  const field = fieldName(error.path) || "the body";
  if (error.type === ValueErrorType.ObjectRequiredProperty) return `${field} is missing`;
  const expected = (error.schema as TSchema).description;
  return expected ? `${field} must be ${expected}` : `${field}: ${error.message}`;
}

/** The first thing wrong with a value against a schema, for a person, or null when it conforms. */
export function schemaProblem(schema: TSchema, value: unknown): string | null {
  // The error walk only when the check fails.
  const check = compiledCheck(schema);
  if (check.Check(value)) return null;
  const first = check.Errors(value).First();
  return first ? describeError(first) : "the body does not match the schema";
}

/** What is wrong with a decoded check input, or null when it is a check request or a raw request. */
export function checkInputProblem(value: unknown): string | null {
  if (typeof value === "string") return value.trim() ? null : "the raw HTTP request is empty";
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected a check request object { method, path, ... } or a raw HTTP request as a string";
  return schemaProblem(CheckRequest, value);
}

function byteLength(input: unknown): number {
  return Buffer.byteLength(typeof input === "string" ? input : JSON.stringify(input));
}

/**
 * Body text → JSON value or raw HTTP text. JSON when the content type says so or the text starts like
 * JSON (`{`, `[` or `"`: a raw request starts with its method), raw HTTP text otherwise.
 */
export function decodeBody(text: string, contentType: string | null): unknown {
  const start = text.trimStart()[0];
  const isJson = JSON_CONTENT_TYPE.test(contentType ?? "") || start === "{" || start === "[" || start === '"';
  if (!isJson) return text;
  try {
    // Depth-limited: the check is serialized and walked recursively afterwards.
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonDepthError) throw new ApiError(400, tooDeepMessage(e));
    throw new ApiError(400, "the body is not valid JSON");
  }
}

/** The body of POST /check: one check request, as JSON or raw HTTP text. */
export function parseCheckBody(text: string, contentType: string | null, limits: CheckLimits = DEFAULT_CHECK_LIMITS): CheckInputT {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxCheckBytes) throw new ApiError(413, `the check request is ${bytes} bytes; at most ${limits.maxCheckBytes} are accepted`);
  if (!text.trim()) throw new ApiError(400, "the body is empty: send a check request as JSON, or a raw HTTP request as text");
  const value = decodeBody(text, contentType);
  const problem = checkInputProblem(value);
  if (problem) throw new ApiError(400, problem);
  return value as CheckInputT;
}

/** The body of POST /check/batch: a JSON array of check requests (objects or raw HTTP strings). */
export function parseBatchBody(text: string, contentType: string | null, limits: CheckLimits = DEFAULT_CHECK_LIMITS): CheckInputT[] {
  const value = text.trim() ? decodeBody(text, contentType) : undefined;
  if (!Array.isArray(value)) throw new ApiError(400, "a batch must be a JSON array of check requests");
  if (value.length > limits.maxBatchItems) throw new ApiError(413, `a batch holds at most ${limits.maxBatchItems} check requests; got ${value.length}`);
  value.forEach((item: unknown, i) => {
    const bytes = byteLength(item);
    if (bytes > limits.maxCheckBytes) throw new ApiError(413, `item ${i}: the check request is ${bytes} bytes; at most ${limits.maxCheckBytes} are accepted`);
    const problem = checkInputProblem(item);
    if (problem) throw new ApiError(400, `item ${i}: ${problem}`);
  });
  return value as CheckInputT[];
}

/** Percent-encodes for a query string; lone surrogates (valid in JSON) become U+FFFD instead of throwing. */
function encodeQueryPart(value: string | number | boolean): string {
  return encodeURIComponent(String(value).toWellFormed());
}

function queryString(params: CheckRequestT["query_params"]): string {
  const pieces: string[] = [];
  for (const [name, value] of Object.entries(params ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) pieces.push(`${encodeQueryPart(name)}=${encodeQueryPart(v)}`);
  }
  return pieces.join("&");
}

/** `/p` + `a=1` → `/p?a=1`; a path that already has a query gets the parameters appended to it. */
function targetOf(path: string, query: string): string {
  if (!query) return path;
  if (!path.includes("?")) return `${path}?${query}`;
  return path.endsWith("?") || path.endsWith("&") ? `${path}${query}` : `${path}&${query}`;
}

function headerList(headers: CheckRequestT["headers"]): [string, string][] {
  const list: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) list.push([name.trim().toLowerCase(), String(v)]);
  }
  return list;
}

/** The checked request's own client address, as a proxy in front of the application reports it. */
function clientIpFromHeaders(headers: [string, string][]): string {
  const header = (name: string) => headers.find(([n]) => n === name)?.[1]?.trim();
  return header("x-real-ip") || header("x-forwarded-for")?.split(",")[0]?.trim() || "";
}

function bodyText(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  return typeof body === "string" ? body : JSON.stringify(body);
}

function fromCheckRequest(input: CheckRequestT): HttpRequest {
  const headers = headerList(input.headers);
  const vars: Record<string, string> = { request_method: input.method, request_uri: targetOf(input.path, queryString(input.query_params)) };
  const body = bodyText(input.body);
  if (body) vars.request_body = body;
  const request = assembleRequest({ vars, origin: INLINE, headers });
  request.clientIp = input.client_ip ?? clientIpFromHeaders(headers);
  return request;
}

function fromRawHttp(text: string): HttpRequest {
  const parsed = rawHttpParser.parse(text.trimStart(), INLINE);
  if (isParseError(parsed)) throw new ApiError(400, `not a raw HTTP request: ${parsed.reason}`);
  parsed.clientIp = clientIpFromHeaders(parsed.headers);
  return parsed;
}

/** A validated check input → the request to judge, received at `now` (epoch ms). */
export function toHttpRequest(input: CheckInputT, now: number): HttpRequest {
  const request = typeof input === "string" ? fromRawHttp(input) : fromCheckRequest(input);
  request.time = now;
  return request;
}
