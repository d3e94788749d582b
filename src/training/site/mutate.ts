/**
 * Synthetic attacks on the site's own requests: a payload injected into one of its real parameters,
 * or a departure no payload list contains (a value far too long, a type broken, an unknown parameter,
 * a probe for a backup file). The site scorer learns to separate these from the real traffic.
 */
import type { HttpRequest, Param } from "../../core/http-request.ts";
import { parseParams } from "../../parse/decode.ts";
import { pick } from "../corpus/sample.ts";

function rebuild(params: Param[], location: "query" | "body"): string {
  return params.filter((p) => p.location === location).map((p) => (p.rawValue === "" && !p.rawName.includes("=") ? `${p.rawName}=` : `${p.rawName}=${p.rawValue}`)).join("&");
}

/** A copy of the request with parameter `index` given a new raw value (or a new parameter appended). */
export function withParam(req: HttpRequest, index: number, rawName: string, rawValue: string, location: "query" | "body" = "query"): HttpRequest {
  const params = req.params.map((p) => ({ ...p }));
  if (index >= 0 && index < params.length) {
    params[index] = { ...params[index]!, rawValue };
  } else {
    params.push({ name: rawName, value: "", rawName, rawValue, location });
  }
  const query = rebuild(params, "query");
  const bodyRaw = rebuild(params, "body");
  const hasBody = params.some((p) => p.location === "body");
  return {
    ...req,
    query,
    body: hasBody ? bodyRaw : req.body,
    params: [...parseParams(query, "query"), ...(hasBody ? parseParams(bodyRaw, "body") : [])],
    origin: { ...req.origin, source: `${req.origin.source}#synthetic` },
  };
}

const encode = (r: () => number, s: string) => (r() < 0.7 ? encodeURIComponent(s) : s.replace(/[ &#%+]/g, (c) => encodeURIComponent(c)));

/** Injects `payload` into a random parameter (or a new one when the request has none). */
export function injectPayload(r: () => number, req: HttpRequest, payload: string): HttpRequest {
  const i = req.params.length ? Math.floor(r() * req.params.length) : -1;
  const keep = r() < 0.5 && i >= 0 ? req.params[i]!.rawValue : "";
  return withParam(req, i, "id", keep + encode(r, payload), req.params[i]?.location ?? "query");
}

const BACKUP = [".bak", ".old", "~", ".swp", ".orig", ".save", ".zip", ".tar.gz", ".inc", ".conf"];

/** A departure from the profile with no payload in it. */
export function anomalize(r: () => number, req: HttpRequest): HttpRequest {
  const kind = Math.floor(r() * 6);
  const i = req.params.length ? Math.floor(r() * req.params.length) : -1;
  const p = i >= 0 ? req.params[i]! : null;
  if (kind === 0 && p) return withParam(req, i, p.rawName, (p.rawValue || "A").repeat(20 + Math.floor(r() * 200)), p.location);
  if (kind === 1 && p) return withParam(req, i, p.rawName, encode(r, `${p.value}${pick(r, ["'", "\"", "<", ">", ";", "|", "`", "$", "(", "\\", "%00", "*"])}${pick(r, ["", "x", "1", p.value])}`), p.location);
  if (kind === 2 && p) return withParam(req, i, p.rawName, /^\d+$/.test(p.value) ? pick(r, ["abc", "1a", "-", "1.5e9x", "null"]) : pick(r, ["0", "99999999999", "-1"]), p.location);
  if (kind === 3) return withParam(req, -1, pick(r, ["debug", "admin", "x", "test", "cmd", "__proto__"]), pick(r, ["1", "true", "yes"]));
  if (kind === 4) return { ...req, method: pick(r, ["PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "PROPFIND", req.method === "GET" ? "POST" : "GET"]), origin: { ...req.origin, source: `${req.origin.source}#synthetic` } };
  const base = req.path.endsWith("/") ? `${req.path}${pick(r, ["index.php", ".env", ".git/HEAD", "backup"])}` : req.path;
  return { ...req, path: base + pick(r, BACKUP), origin: { ...req.origin, source: `${req.origin.source}#synthetic` } };
}
