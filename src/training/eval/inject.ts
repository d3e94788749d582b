/**
 * Labelled attacks made from held-out benign requests: each payload of the lists' test split is placed
 * in a query parameter, a path segment and a POST field of a real request, URL-encoded as a browser
 * would send it.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { parseParams } from "../../parse/decode.ts";
import type { PayloadLine } from "../corpus/attacks.ts";
import { withParam } from "../site/mutate.ts";

export type Placement = "query" | "path" | "body";

export interface InjectedRequest {
  request: HttpRequest;
  cls: string;
  list: string;
  placement: Placement;
}

function inPath(req: HttpRequest, encoded: string): HttpRequest {
  const cut = req.path.lastIndexOf("/");
  return { ...req, path: `${req.path.slice(0, cut + 1)}${encoded}`, origin: { ...req.origin, source: `${req.origin.source}#injected` } };
}

function asPostField(req: HttpRequest, encoded: string): HttpRequest {
  const body = req.params.filter((p) => p.location === "body");
  const headers: [string, string][] = [...req.headers.filter(([h]) => h !== "content-type"), ["content-type", "application/x-www-form-urlencoded"]];
  if (body.length) {
    const i = req.params.indexOf(body[Math.floor(body.length / 2)]!);
    return { ...withParam(req, i, body[0]!.rawName, encoded, "body"), headers };
  }
  const raw = `${req.params.find((p) => p.location === "query")?.rawName ?? "q"}=${encoded}`;
  return { ...req, method: "POST", body: raw, params: [...req.params, ...parseParams(raw, "body")], headers, origin: { ...req.origin, source: `${req.origin.source}#injected` } };
}

function inQuery(req: HttpRequest, encoded: string): HttpRequest {
  const query = req.params.filter((p) => p.location === "query");
  const i = query.length ? req.params.indexOf(query[Math.floor(query.length / 2)]!) : -1;
  return withParam(req, i, "q", encoded, "query");
}

export function injectPayloads(benign: HttpRequest[], payloads: PayloadLine[]): InjectedRequest[] {
  const out: InjectedRequest[] = [];
  payloads.forEach((p, k) => {
    const encoded = encodeURIComponent(p.payload);
    const base = (offset: number) => benign[(k * 3 + offset) % benign.length]!;
    out.push({ request: inQuery(base(0), encoded), cls: p.cls, list: p.list, placement: "query" });
    out.push({ request: inPath(base(1), encoded), cls: p.cls, list: p.list, placement: "path" });
    out.push({ request: asPostField(base(2), encoded), cls: p.cls, list: p.list, placement: "body" });
  });
  return out;
}
