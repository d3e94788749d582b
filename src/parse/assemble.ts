/**
 * Builds an HttpRequest from named values that use nginx's variable names (`remote_addr`,
 * `request`, `http_user_agent`, ...). Every log parser maps its fields to these names first, so the
 * knowledge of what each variable means lives here once.
 */
import type { HttpRequest, Param, RequestOrigin } from "../core/http-request.ts";
import { parseCookies, parseParams } from "./decode.ts";
import { parseLogTime } from "./time.ts";
import type { LogVars } from "./log-vars.ts";

/** Variables consumed into typed fields; all others land in `extra` (minus `http_*`, which become headers). */
const CONSUMED = new Set([
  "remote_addr", "time_local", "time_iso8601", "msec", "request", "request_method", "request_uri", "uri",
  "document_uri", "args", "query_string", "server_protocol", "status", "body_bytes_sent", "bytes_sent",
  "request_time", "host", "http_host", "request_body", "content_type", "content_length", "remote_user",
]);

/** nginx writes `-` for a variable that has no value. */
function present(v: string | undefined): v is string {
  return v !== undefined && v !== "-" && v !== "";
}

function toNumber(v: string | undefined): number | null {
  if (!present(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Splits `METHOD target PROTOCOL`; tolerates HTTP/0.9 lines and garbage (kept whole as the path). */
function splitRequestLine(line: string): { method: string; target: string; protocol: string } {
  const first = line.indexOf(" ");
  if (first === -1) return { method: "", target: line, protocol: "" };
  const last = line.lastIndexOf(" ");
  if (last === first) return { method: line.slice(0, first), target: line.slice(first + 1), protocol: "" };
  const protocol = line.slice(last + 1);
  if (!protocol.startsWith("HTTP/")) return { method: line.slice(0, first), target: line.slice(first + 1), protocol: "" };
  return { method: line.slice(0, first), target: line.slice(first + 1, last), protocol };
}

/** `http://host/p?q` (absolute form, as in CSIC) → `/p?q`; origin form is returned as is. */
function originForm(target: string): { target: string; host: string } {
  // The scheme and authority only; the rest is sliced. A `(.*)$` after the host would share it with
  // `[^/?#]*` and backtrack in quadratic time before a line break, where `.` stops.
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (!m) return { target, host: "" };
  // The authority without its userinfo (`http://user:secret@169.254.169.254/`): the host, and no credential kept.
  return { target: target.slice(m[0].length) || "/", host: m[1]!.slice(m[1]!.lastIndexOf("@") + 1) };
}

function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf("?");
  return q === -1 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

const headerNames = new Map<string, string>();

/** `http_x_forwarded_for` → `x-forwarded-for` (cached: the same few names come on every line). */
function headerName(variable: string): string {
  let name = headerNames.get(variable);
  if (name === undefined) {
    name = variable.slice(5).replaceAll("_", "-");
    if (headerNames.size < 1000) headerNames.set(variable, name);
  }
  return name;
}

function isFormBody(contentType: string | undefined, body: string | null): boolean {
  if (!body) return false;
  if (contentType) return contentType.toLowerCase().startsWith("application/x-www-form-urlencoded");
  return false;
}

export interface AssembleInput {
  vars: LogVars;
  origin: RequestOrigin;
  /** Headers known from the source beyond `http_*` variables (raw HTTP). */
  headers?: [string, string][];
}

export function assembleRequest({ vars, origin, headers: given }: AssembleInput): HttpRequest {
  let method = vars.request_method ?? "";
  let protocol = vars.server_protocol ?? "";
  let target: string | undefined = present(vars.request_uri) ? vars.request_uri : undefined;
  if (present(vars.request)) {
    const line = splitRequestLine(vars.request);
    method ||= line.method;
    protocol ||= line.protocol;
    target ??= line.target;
  }
  let host = "";
  let path: string;
  let query: string;
  if (target !== undefined) {
    const of = originForm(target);
    host = of.host;
    ({ path, query } = splitTarget(of.target));
  } else {
    path = present(vars.uri) ? vars.uri : present(vars.document_uri) ? vars.document_uri : "";
    query = present(vars.args) ? vars.args : present(vars.query_string) ? vars.query_string : "";
  }

  const headers: [string, string][] = given ? [...given] : [];
  const extra: Record<string, string> = {};
  for (const k in vars) {
    const v = vars[k]!;
    if (k.startsWith("http_")) {
      if (present(v) && !given) headers.push([headerName(k), v]);
    } else if (!CONSUMED.has(k) && present(v)) {
      extra[k] = v;
    }
  }
  if (!given && present(vars.content_type)) headers.push(["content-type", vars.content_type]);
  const header = (name: string) => headers.find(([n]) => n === name)?.[1];

  const targetHost = host;
  host = (present(vars.host) ? vars.host : "") || header("host") || (present(vars.http_host) ? vars.http_host : "") || targetHost;
  const body = present(vars.request_body) ? vars.request_body : null;
  const params: Param[] = parseParams(query, "query");
  if (isFormBody(header("content-type"), body)) params.push(...parseParams(body!, "body"));

  return {
    time: parseLogTime(vars),
    clientIp: present(vars.remote_addr) ? vars.remote_addr : "",
    method,
    path,
    query,
    params,
    protocol,
    status: toNumber(vars.status),
    bytesSent: toNumber(vars.body_bytes_sent ?? vars.bytes_sent),
    referer: header("referer") ?? "",
    userAgent: header("user-agent") ?? "",
    host,
    ...(targetHost ? { targetHost } : {}),
    requestTime: toNumber(vars.request_time),
    headers,
    // Every Cookie header: HTTP/2 clients split the cookies over several, and a server reads them all.
    cookies: headers.filter(([n]) => n === "cookie").flatMap(([, v]) => parseCookies(v)),
    body,
    extra,
    origin,
  };
}
