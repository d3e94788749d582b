/**
 * JSON lines (one object per line), as written by nginx `log_format ... escape=json '{...}'` or by
 * log shippers. Keys are mapped to nginx variable names: a default table knows the common spellings,
 * and a user mapping (`variable=key.path`) overrides it for other layouts, nested ones included.
 */
import { assembleRequest } from "./assemble.ts";
import type { LogVars } from "./log-vars.ts";
import { parseError, type ExplainedField, type Parser } from "./parser.ts";
import type { RequestOrigin } from "../core/http-request.ts";
import { JsonDepthError, parseJson } from "../core/json.ts";

/** Common key spellings (lower-cased, flattened with dots) → nginx variable. */
const DEFAULT_KEYS: Record<string, string> = {
  remote_addr: "remote_addr", remote_ip: "remote_addr", client_ip: "remote_addr", clientip: "remote_addr", ip: "remote_addr",
  time: "time_iso8601", timestamp: "time_iso8601", "@timestamp": "time_iso8601", time_iso8601: "time_iso8601", ts: "time_iso8601",
  time_local: "time_local", msec: "msec",
  request: "request", method: "request_method", request_method: "request_method", verb: "request_method",
  uri: "request_uri", request_uri: "request_uri", url: "request_uri", path: "uri",
  args: "args", query_string: "args", query: "args",
  protocol: "server_protocol", server_protocol: "server_protocol",
  status: "status", status_code: "status", response_code: "status",
  body_bytes_sent: "body_bytes_sent", bytes_sent: "bytes_sent", bytes: "body_bytes_sent", size: "body_bytes_sent",
  request_time: "request_time", host: "host", http_host: "http_host", server_name: "server_name",
  referer: "http_referer", referrer: "http_referer", http_referer: "http_referer",
  user_agent: "http_user_agent", useragent: "http_user_agent", agent: "http_user_agent", http_user_agent: "http_user_agent",
  cookie: "http_cookie", http_cookie: "http_cookie", content_type: "content_type",
  request_length: "request_length", request_body: "request_body", body: "request_body",
  x_forwarded_for: "http_x_forwarded_for", xff: "http_x_forwarded_for", http_x_forwarded_for: "http_x_forwarded_for",
};

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === null || value === undefined) return;
  if (typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value));
}

/** `--json-map request_uri=req.url,remote_addr=client` → { request_uri: "req.url", ... }. */
export function parseJsonMapping(spec: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq === pair.length - 1) throw new Error(`bad JSON mapping ${JSON.stringify(pair)}: expected variable=key (e.g. request_uri=req.url)`);
    map[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return map;
}

export function createJsonParser(mapping: Record<string, string> = {}): Parser {
  const name = "json";
  const mappedKeys = new Set(Object.values(mapping));

  function toVars(flat: Map<string, string>): { vars: LogVars; fields: ExplainedField[] } {
    const vars: LogVars = {};
    const fields: ExplainedField[] = [];
    const hasArgs = [...flat.keys()].some((k) => DEFAULT_KEYS[k.toLowerCase()] === "args");
    for (const [key, value] of flat) {
      if (mappedKeys.has(key)) continue;
      let variable = DEFAULT_KEYS[key.toLowerCase()] ?? key.toLowerCase().replaceAll(/[^a-z0-9_]/g, "_");
      // `uri` is `$request_uri` unless the format logs the query separately (then it is `$uri`).
      if (key.toLowerCase() === "uri" && hasArgs) variable = "uri";
      // Epoch numbers in a time field are seconds or milliseconds.
      if (variable === "time_iso8601" && /^\d+(\.\d+)?$/.test(value)) {
        vars.msec = String(Number(value) > 1e11 ? Number(value) / 1000 : Number(value));
        fields.push({ name: key, raw: value, value: `$msec=${vars.msec}` });
        continue;
      }
      vars[variable] = value;
      fields.push({ name: key, raw: value, value: `$${variable}` });
    }
    for (const [variable, key] of Object.entries(mapping)) {
      const value = flat.get(key);
      if (value === undefined) continue;
      vars[variable] = value;
      fields.push({ name: key, raw: value, value: `$${variable}` });
    }
    return { vars, fields };
  }

  function read(text: string, origin: RequestOrigin) {
    let obj: unknown;
    try {
      obj = parseJson(text);
    } catch (e) {
      // Too deep to walk safely (flatten recurses per level): a counted rejection like bad JSON.
      if (e instanceof JsonDepthError) return { error: parseError(name, text, origin, e.message) };
      const msg = (e as Error).message;
      const col = /position (\d+)/.exec(msg)?.[1];
      return { error: parseError(name, text, origin, `not valid JSON: ${msg}`, col ? { column: Number(col), expected: "valid JSON" } : undefined) };
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      return { error: parseError(name, text, origin, "expected a JSON object per line") };
    }
    const flat = new Map<string, string>();
    flatten(obj, "", flat);
    const mapped = toVars(flat);
    const v = mapped.vars;
    // nginx logs requests it rejected (400) with empty request fields: the keys are what count.
    if (v.request === undefined && v.request_uri === undefined && v.uri === undefined && v.request_method === undefined) {
      return { error: parseError(name, text, origin, "JSON object has no request fields (no request, uri, request_uri or method key); pass a mapping with --json-map") };
    }
    return mapped;
  }

  return {
    name,
    framing: "line",
    parse(text, origin) {
      const r = read(text, origin);
      return "error" in r ? r.error : assembleRequest({ vars: r.vars, origin });
    },
    explain(text, origin) {
      const r = read(text, origin);
      return "error" in r ? { fields: [], result: r.error } : { fields: r.fields, result: assembleRequest({ vars: r.vars, origin }) };
    },
  };
}
