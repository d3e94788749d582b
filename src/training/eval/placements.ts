/**
 * `moat eval --placements`: payloads of the lists' test split (a fixed sample of each class) put in
 * every part of a request and spelled as evasions spell them; detection per part and spelling. These
 * are the dimensions independent WAF test suites vary, on payloads no model trained on.
 */
import { isParseError, type HttpRequest } from "../../core/http-request.ts";
import { rawHttpParser } from "../../parse/raw-http.ts";
import type { Detector } from "../../detect/detector.ts";
import type { PayloadLine } from "../corpus/attacks.ts";
import { splitPoint } from "../corpus/sample.ts";
import { judgeAll, type Progress } from "./run.ts";
import { markdownTable, pct } from "./table.ts";

/** Filler before a padded payload: past the 4,096 characters at which fields were once cut. */
const PADDING = `${"a".repeat(4100)} `;

/** How a payload is spelled before it is placed (the placement then encodes it as a client would). */
export const SPELLINGS = {
  plain: (p: string) => p,
  "URL-encoded": (p: string) => encodeURIComponent(p),
  base64: (p: string) => Buffer.from(p, "utf8").toString("base64"),
  "after 4 KB of padding": (p: string) => PADDING + p,
} as const;
type Spelling = keyof typeof SPELLINGS;

const HEAD = "Host: shop.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\n";
const xmlText = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const post = (path: string, type: string, body: string) => `POST ${path} HTTP/1.1\r\n${HEAD}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
/** A header value cannot hold a line break: one is sent as a space, as a client library would refuse or fold it. */
const headerSafe = (v: string) => v.replace(/[\r\n]+/g, " ");

/** Each part of a request a value can sit in, as a raw HTTP request around the value. */
export const PLACEMENTS: Record<string, (v: string) => string> = {
  query: (v) => `GET /search?q=${encodeURIComponent(v)}&page=2 HTTP/1.1\r\n${HEAD}\r\n`,
  "path segment": (v) => `GET /files/${encodeURIComponent(v)}/view HTTP/1.1\r\n${HEAD}\r\n`,
  header: (v) => `GET / HTTP/1.1\r\n${HEAD}X-Api-Data: ${headerSafe(v)}\r\n\r\n`,
  cookie: (v) => `GET / HTTP/1.1\r\n${HEAD}Cookie: sid=4f2a9c; pref=${encodeURIComponent(v)}\r\n\r\n`,
  urlencoded: (v) => post("/form", "application/x-www-form-urlencoded", `name=${encodeURIComponent(v)}&agree=1`),
  JSON: (v) => post("/api/orders", "application/json", JSON.stringify({ order: { note: v, items: [1, 2] } })),
  multipart: (v) => post("/upload", "multipart/form-data; boundary=x7a9", `--x7a9\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${v}\r\n--x7a9--\r\n`),
  XML: (v) => post("/api/xml", "application/xml", `<?xml version="1.0"?><order><note>${xmlText(v)}</note></order>`),
  SOAP: (v) => post("/ws", "text/xml", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><find><term>${xmlText(v)}</term></find></soap:Body></soap:Envelope>`),
  GraphQL: (v) => post("/graphql", "application/json", JSON.stringify({ query: "query Find($t: String) { search(term: $t) { id } }", variables: { t: v } })),
};

/** The requests of one placement, spelling and attack class. */
export interface PlacementCell {
  placement: string;
  spelling: Spelling;
  cls: string;
  n: number;
  detected: number;
}

export interface PlacementReport {
  modelVersion: string;
  perClass: number;
  payloads: number;
  cells: PlacementCell[];
}

/** A fixed sample of at most `perClass` payloads of each class, chosen by a hash of the payload. */
export function samplePayloads(lines: PayloadLine[], perClass: number): PayloadLine[] {
  const byClass = Map.groupBy(lines, (l) => l.cls);
  return [...byClass.values()].flatMap((ls) => ls.map((l) => ({ l, key: splitPoint(`placements:${l.payload}`) })).sort((a, b) => a.key - b.key).slice(0, perClass).map((x) => x.l));
}

export async function evaluatePlacements(detector: Detector, lines: PayloadLine[], perClass: number, progress?: Progress): Promise<PlacementReport> {
  const payloads = samplePayloads(lines, perClass);
  const cells: PlacementCell[] = [];
  const requests: HttpRequest[] = [];
  const byClass = Map.groupBy(payloads, (p) => p.cls);
  for (const placement of Object.keys(PLACEMENTS)) {
    for (const spelling of Object.keys(SPELLINGS) as Spelling[]) {
      for (const [cls, ofClass] of byClass) {
        const cell = { placement, spelling, cls, n: 0, detected: 0 };
        cells.push(cell);
        for (const p of ofClass) {
          const parsed = rawHttpParser.parse(PLACEMENTS[placement]!(SPELLINGS[spelling](p.payload)), { source: `placements:${placement}:${spelling}` });
          // A payload no client could send there (a NUL in a header) is left out of that cell, not counted.
          if (isParseError(parsed)) continue;
          requests.push(parsed);
          cell.n++;
        }
      }
    }
  }
  const verdicts = await judgeAll(detector, requests, progress);
  let k = 0;
  for (const cell of cells) for (let i = 0; i < cell.n; i++) if (verdicts[k++]!.isAnomaly) cell.detected++;
  return { modelVersion: detector.modelVersion, perClass, payloads: payloads.length, cells };
}

export function renderPlacements(r: PlacementReport): string {
  const spellings = Object.keys(SPELLINGS) as Spelling[];
  const classes = [...new Set(r.cells.map((c) => c.cls))].sort();
  /** Detected of the cells that match: a placement or a class (or all), and a spelling (or all). */
  const share = (match: (c: PlacementCell) => boolean, spelling: Spelling | null) => {
    const sel = r.cells.filter((c) => match(c) && (spelling === null || c.spelling === spelling));
    const n = sel.reduce((a, c) => a + c.n, 0);
    const d = sel.reduce((a, c) => a + c.detected, 0);
    return `${pct(d, n, 1)} (${d}/${n})`;
  };
  const rows = (keys: string[], match: (key: string) => (c: PlacementCell) => boolean) => [
    ...keys.map((k) => [k, ...spellings.map((s) => share(match(k), s)), share(match(k), null)]),
    ["all", ...spellings.map((s) => share(() => true, s)), share(() => true, null)],
  ];
  return [
    "## Payloads in every part of a request, in every spelling",
    "",
    `Model ${r.modelVersion}. ${r.payloads} payloads of the payload lists' test split (at most ${r.perClass} per class, chosen by a hash of the payload; classes: ${classes.join(", ")}), each placed in every part below and spelled every way; detected = flagged.`,
    "",
    markdownTable(["placement", ...spellings, "all"], rows(Object.keys(PLACEMENTS), (p) => (c) => c.placement === p)),
    "",
    "### By class, over every placement",
    "",
    markdownTable(["class", ...spellings, "all"], rows(classes, (k) => (c) => c.cls === k)),
    "",
  ].join("\n");
}
