/**
 * The parts of a request an attack can hide in, each as one Field: the path, every query and body
 * parameter, cookies, the headers that carry client text, and a non-form body. Each keeps its raw
 * text (for evidence) and its normalized form (for features).
 */
import type { HttpRequest } from "../core/http-request.ts";
import { normalizeValue, type Normalized } from "./normalize.ts";
import { isIdentifier } from "./identifiers.ts";
import { parseJson } from "../core/json.ts";

import type { FieldLocation } from "../decompose/leaf.ts";
export type { FieldLocation };

export interface Field {
  location: FieldLocation;
  /** Parameter, cookie or header name; "" for the path and a raw body. */
  name: string;
  raw: string;
  /** Computed on first use: a field whose score is cached is never normalized. */
  readonly norm: Normalized;
}

/** Longest field text featurized; the rest is cut (and the cut is flagged by length features). */
const MAX_FIELD_CHARS = 4096;

/** Headers whose values are set by browsers and servers from a fixed vocabulary: no attack surface worth scoring. */
const SKIPPED_HEADERS = new Set([
  "host", "accept", "accept-encoding", "accept-language", "accept-charset", "connection", "content-length",
  "content-type", "cache-control", "pragma", "upgrade-insecure-requests", "sec-fetch-site", "sec-fetch-mode",
  "sec-fetch-dest", "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "dnt", "te",
  "if-none-match", "if-modified-since", "priority", "cookie", "authorization",
]);

function cut(s: string): string {
  return s.length > MAX_FIELD_CHARS ? s.slice(0, MAX_FIELD_CHARS) : s;
}

/** A field; `+` means a space in query and form values only. */
export function makeField(location: FieldLocation, name: string, raw: string): Field {
  let norm: Normalized | undefined;
  return {
    location,
    name,
    raw,
    get norm() {
      norm ??= normalizeValue(cut(raw), { plusAsSpace: location === "query" || location === "body" });
      return norm;
    },
  };
}

/** Leaves of a JSON body, as `a.b[0].c` → value. */
function jsonLeaves(value: unknown, prefix: string, out: [string, string][]): void {
  if (out.length >= 200) return;
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) value.forEach((v, i) => jsonLeaves(v, `${prefix}[${i}]`, out));
  else if (typeof value === "object") for (const [k, v] of Object.entries(value)) jsonLeaves(v, prefix ? `${prefix}.${k}` : k, out);
  else out.push([prefix, String(value)]);
}

function bodyFields(req: HttpRequest): Field[] {
  if (!req.body || req.params.some((p) => p.location === "body")) return [];
  const body = req.body.trim();
  if (body.startsWith("{") || body.startsWith("[")) {
    try {
      const leaves: [string, string][] = [];
      // Depth-limited: jsonLeaves recurses per level. Too deep a body is scored as text below.
      jsonLeaves(parseJson(body), "", leaves);
      // JSON keys are attack surface too (NoSQL operators such as $where live there).
      return leaves.map(([name, value]) => makeField("body", name, `${name}=${value}`));
    } catch {
      // not JSON after all, or nested too deep to walk: scored as text below
    }
  }
  return [makeField("body", "", body)];
}

/**
 * The request's fields, in a fixed order. Identifier values (see identifiers.ts) are left out: they
 * cannot carry an attack, and as session cookies they are often most of the values never seen before,
 * which the score cache cannot spare. A parameter's identifier is still checked by the site profile.
 */
export function extractFields(req: HttpRequest): Field[] {
  const fields: Field[] = [makeField("path", "", req.path)];
  for (const p of req.params) {
    if (!isIdentifier(p.rawValue)) fields.push(makeField(p.location, p.name, p.rawValue));
    // A parameter name is client text too (`?<script>=1`, `?a[$ne]=1`); score it when it is not a plain word.
    if (/[^\w.\-[\]]/.test(p.name)) fields.push(makeField(p.location, p.name, p.rawName));
  }
  for (const c of req.cookies) if (!isIdentifier(c.value)) fields.push(makeField("cookie", c.name, c.value));
  for (const [name, value] of req.headers) {
    if (!SKIPPED_HEADERS.has(name) && value && !isIdentifier(value)) fields.push(makeField("header", name, value));
  }
  fields.push(...bodyFields(req));
  return fields;
}
