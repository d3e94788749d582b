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

/**
 * Common key spellings → nginx variable (a Map: a key like `constructor` must not find Object's). Keys are compared normalised (`normalKey`), so `remote_ip`,
 * `remoteIp` and `remote-ip` are one entry; nested keys are flattened with dots (Elastic's ECS names
 * such as `client.ip` and `http.request.referrer` come from log shippers).
 */
const DEFAULT_KEYS = new Map(Object.entries({
  remoteaddr: "remote_addr", remoteip: "remote_addr", remoteaddress: "remote_addr", remote: "remote_addr",
  clientip: "remote_addr", clientaddr: "remote_addr", clientaddress: "remote_addr", client: "remote_addr", ip: "remote_addr",
  "client.ip": "remote_addr", "client.address": "remote_addr", "source.ip": "remote_addr", "source.address": "remote_addr",
  time: "time_iso8601", timestamp: "time_iso8601", "@timestamp": "time_iso8601", timeiso8601: "time_iso8601", ts: "time_iso8601", datetime: "time_iso8601",
  timelocal: "time_local", msec: "msec",
  request: "request", method: "request_method", requestmethod: "request_method", verb: "request_method", httpmethod: "request_method", "http.request.method": "request_method",
  uri: "request_uri", requesturi: "request_uri", url: "request_uri", "url.original": "request_uri", path: "uri", "url.path": "uri",
  args: "args", querystring: "args", query: "args", "url.query": "args",
  protocol: "server_protocol", serverprotocol: "server_protocol",
  status: "status", statuscode: "status", responsecode: "status", responsestatus: "status", httpstatus: "status", "http.response.statuscode": "status",
  bodybytessent: "body_bytes_sent", bytessent: "bytes_sent", bytes: "body_bytes_sent", size: "body_bytes_sent", "http.response.body.bytes": "body_bytes_sent",
  requesttime: "request_time", host: "host", httphost: "http_host", servername: "server_name", "url.domain": "host",
  referer: "http_referer", referrer: "http_referer", httpreferer: "http_referer", httpreferrer: "http_referer", "http.request.referrer": "http_referer",
  useragent: "http_user_agent", agent: "http_user_agent", httpuseragent: "http_user_agent", ua: "http_user_agent", "useragent.original": "http_user_agent",
  cookie: "http_cookie", httpcookie: "http_cookie", contenttype: "content_type",
  requestlength: "request_length", requestbody: "request_body", body: "request_body",
  xforwardedfor: "http_x_forwarded_for", xff: "http_x_forwarded_for", httpxforwardedfor: "http_x_forwarded_for",
}));

/** `Remote_IP`, `remoteIp`, `remote-ip` → `remoteip`: how a key is looked up in DEFAULT_KEYS. */
const normalKey = (key: string) => key.toLowerCase().replaceAll(/[_-]/g, "");

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
    const hasArgs = [...flat.keys()].some((k) => DEFAULT_KEYS.get(normalKey(k)) === "args");
    for (const [key, value] of flat) {
      if (mappedKeys.has(key)) continue;
      let variable = DEFAULT_KEYS.get(normalKey(key)) ?? key.toLowerCase().replaceAll(/[^a-z0-9_]/g, "_");
      // `uri` is `$request_uri` unless the format logs the query separately (then it is `$uri`).
      if (normalKey(key) === "uri" && hasArgs) variable = "uri";
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
