/**
 * Puts a labelled value into a whole request, the way clients send it: a query or form parameter, a
 * JSON, multipart or XML body, a header, a cookie, the path, a Referer's query, or wrapped in base64
 * or JSON inside a parameter. Benign and attack values go through the same placements, so that no
 * container is a sign of an attack in itself. The request is written as raw HTTP and read back with
 * Moat's own parser: training sees requests exactly as serving does.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { isParseError } from "../../core/http-request.ts";
import { rawHttpParser } from "../../parse/raw-http.ts";
import { percentDecode } from "../../parse/decode.ts";
import { pick, type Sample } from "./sample.ts";

const HOSTS = ["shop.example.com", "www.example.org", "api.example.net", "127.0.0.1:8080"];
const PATHS = ["/", "/search", "/api/v1/items", "/index.php", "/products/view", "/account/settings", "/graphql", "/upload"];
const BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/** The containers a body value can be sent in. */
const BODY_CONTAINERS = ["form", "json", "json-nested", "multipart", "xml", "graphql"] as const;
type BodyContainer = (typeof BODY_CONTAINERS)[number];

/** The value as the application reads it (samples carry the wire form for query and form values). */
export function decodedValue(s: Sample): string {
  return s.location === "query" || s.location === "body" ? percentDecode(s.raw, true) : s.raw;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Header values cannot hold a line break in raw HTTP: it would end the header. */
function headerSafe(s: string): string {
  return s.replace(/[\r\n]+/g, " ");
}

function body(container: BodyContainer, name: string, value: string, raw: string): { type: string; text: string } {
  const key = name || "data";
  switch (container) {
    case "form":
      return { type: "application/x-www-form-urlencoded", text: `${encodeURIComponent(key)}=${raw}` };
    case "json":
      return { type: "application/json", text: JSON.stringify({ [key]: value, page: 1 }) };
    case "json-nested":
      return { type: "application/json", text: JSON.stringify({ data: { items: [{ [key]: value }] } }) };
    case "multipart": {
      const boundary = "----moatBoundary7MA4YWxkTrZu0gW";
      return {
        type: `multipart/form-data; boundary=${boundary}`,
        text: `--${boundary}\r\nContent-Disposition: form-data; name="${key.replace(/"/g, "")}"\r\n\r\n${value}\r\n--${boundary}--\r\n`,
      };
    }
    case "xml":
      // A value that is XML itself (an XXE document) is the body; any other is an element's text.
      return value.trimStart().startsWith("<")
        ? { type: "application/xml", text: value }
        : { type: "application/xml", text: `<?xml version="1.0"?><request><${xmlName(key)}>${xmlEscape(value)}</${xmlName(key)}></request>` };
    case "graphql":
      return { type: "application/json", text: JSON.stringify({ query: `query Q($v: String) { item(${xmlName(key)}: $v) { id name } }`, variables: { v: value } }) };
  }
}

function xmlName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, "");
  return /^[A-Za-z_]/.test(clean) ? clean : `v${clean}`;
}

/** The request line's target, headers and body for one placement. */
function place(r: () => number, s: Sample): { path: string; query: string; headers: [string, string][]; body: { type: string; text: string } | null } {
  const value = decodedValue(s);
  const path = pick(r, PATHS);
  const name = s.name || "q";
  switch (s.location) {
    case "path":
      return { path: s.raw.startsWith("/") ? s.raw : `/${s.raw}`, query: "", headers: [], body: null };
    case "header":
      return { path, query: "", headers: [[s.name || "x-data", headerSafe(value)]], body: null };
    case "cookie":
      return { path, query: "", headers: [["cookie", `${name}=${headerSafe(s.raw)}; theme=dark`]], body: null };
    case "body":
      return { path, query: "", headers: [], body: body(pick(r, BODY_CONTAINERS), name, value, s.raw) };
    case "query": {
      const roll = r();
      // Now and then wrapped the way applications nest data: base64, JSON in a parameter, a Referer's query.
      if (roll < 0.06) return { path, query: `${name}=${encodeURIComponent(Buffer.from(value).toString(r() < 0.5 ? "base64" : "base64url"))}`, headers: [], body: null };
      if (roll < 0.12) return { path, query: `filter=${encodeURIComponent(JSON.stringify({ [name]: value }))}`, headers: [], body: null };
      if (roll < 0.17) return { path, query: "", headers: [["referer", `https://${pick(r, HOSTS)}${pick(r, PATHS)}?${name}=${s.raw}`]], body: null };
      return { path, query: `${r() < 0.5 ? "page=2&" : ""}${name}=${s.raw}`, headers: [], body: null };
    }
  }
}

/** The sample in a whole request, or null when it cannot be written as one (a path with a space, say). */
export function requestFromSample(r: () => number, s: Sample): HttpRequest | null {
  const p = place(r, s);
  const method = p.body ? pick(r, ["POST", "POST", "PUT"]) : "GET";
  return written(method, `${p.path}${p.query ? `?${p.query}` : ""}`, pick(r, HOSTS), p.headers, p.body, s.source);
}

/** A browser's GET of a target (`/path?query`), or null when the target cannot be sent as it is. */
export function requestForTarget(target: string, source: string): HttpRequest | null {
  return written("GET", target, HOSTS[0]!, [], null, source);
}

/** A request written as raw HTTP (the template's Host, User-Agent and Accept unless `placed` sets them) and read back with Moat's parser. */
export function written(method: string, target: string, host: string, placed: [string, string][], body: { type: string; text: string } | null, source: string): HttpRequest | null {
  if (/\s/.test(target)) return null;
  const template: [string, string][] = [["host", host], ["user-agent", BROWSER_UA], ["accept", "*/*"]];
  const headers = [...template.filter(([n]) => !placed.some(([p]) => p === n)), ...placed];
  if (body) headers.push(["content-type", body.type], ["content-length", String(Buffer.byteLength(body.text))]);
  const text = `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}`).join("\r\n")}\r\n\r\n${body?.text ?? ""}`;
  const parsed = rawHttpParser.parse(text, { source: `corpus:${source}` });
  return isParseError(parsed) ? null : parsed;
}
