/**
 * The OWASP CRS regression tests (go-ftw YAML, `REQUEST-9xx-<family>/<rule>.yaml`) as labelled requests. Each
 * stage's input is turned into the raw bytes go-ftw would send and parsed by Moat's own raw-HTTP
 * parser, so a test reaches the detector the way a real request does. A test is an attack of its
 * folder's family when it expects an id of that family; a test that only lists ids that must not fire
 * is a false-positive test (benign). Requests the parser rejects are counted, never dropped silently.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { headerValue, isParseError, type HttpRequest } from "../../core/http-request.ts";
import { bytesToText } from "../../parse/decode.ts";
import { rawHttpParser } from "../../parse/raw-http.ts";
import { devOrTest, type DevTest } from "./split.ts";
import type { ClassLabel } from "../../detect/classes.ts";

export const CRS_FAMILIES: Record<string, string> = {
  "911": "method enforcement", "913": "scanners", "920": "protocol enforcement", "921": "protocol attack", "922": "multipart attack",
  "930": "LFI", "931": "RFI", "932": "RCE", "933": "PHP", "934": "generic (Node.js, SSRF, ...)", "941": "XSS", "942": "SQLi",
  "943": "session fixation", "944": "Java", "949": "blocking evaluation", "999": "common exceptions",
};

/** The class an attack test of a family teaches when no analyzer names a more precise one (934 and 944 mix several). */
export const CRS_FAMILY_CLASS: Record<string, ClassLabel> = {
  "913": "scanner", "930": "traversal", "931": "rfi", "932": "cmdi", "933": "code-injection", "934": "code-injection",
  "941": "xss", "942": "sqli", "943": "session-fixation", "944": "code-injection",
};

/** The application-attack families the detection targets hold for; the others test protocol handling. */
export function isAttackFamily(family: string): boolean {
  return family >= "930" && family <= "944";
}

/** Where a test puts what it tests, judged by how the request departs from the CRS test template. */
export type Placement = "query" | "path" | "header" | "cookie" | "urlencoded" | "multipart" | "json" | "xml" | "graphql" | "other body";
export const PLACEMENTS: readonly Placement[] = ["query", "path", "header", "cookie", "urlencoded", "multipart", "json", "xml", "graphql", "other body"];

export interface CrsCase {
  /** `<rule>-<test_id>`, with `.<stage>` for multi-stage tests. */
  id: string;
  family: string;
  positive: boolean;
  split: DevTest;
  placement: Placement;
  request: HttpRequest;
}

export interface CrsMalformed {
  id: string;
  family: string;
  positive: boolean;
  split: DevTest;
  reason: string;
}

export interface CrsCorpus {
  cases: CrsCase[];
  /** Labelled tests whose request Moat's parser rejects (some test a parser, not an attack). */
  malformed: CrsMalformed[];
  /** Tests with neither an own-family expect id nor only no-expect ids (status or log-regex checks). */
  unlabelled: number;
  /** Files that hold no test (YAML that is all comments) or do not parse. */
  skippedFiles: { file: string; reason: string }[];
}

interface FtwInput {
  method?: string;
  uri?: string;
  version?: string;
  headers?: Record<string, unknown>;
  data?: string | string[];
  encoded_request?: string;
  raw_request?: string;
  autocomplete_headers?: boolean;
}

interface FtwOutput {
  log?: { expect_ids?: number[]; no_expect_ids?: number[] };
  expect_ids?: number[];
  no_expect_ids?: number[];
}

interface FtwStage {
  input?: FtwInput;
  output?: FtwOutput;
  stage?: { input?: FtwInput; output?: FtwOutput };
}

interface FtwFile {
  rule_id?: number;
  tests?: { test_id?: number; stages?: FtwStage[] }[];
}

function body(data: FtwInput["data"]): string {
  return Array.isArray(data) ? data.join("\r\n") : (data ?? "");
}

/** The request go-ftw sends for an input: the encoded or raw request as given, else built from its parts with a Content-Length. */
export function ftwRawRequest(input: FtwInput): string {
  if (input.encoded_request) return bytesToText(Buffer.from(input.encoded_request, "base64"));
  if (input.raw_request) return input.raw_request;
  const data = body(input.data);
  const headers = Object.entries(input.headers ?? {}).map(([k, v]) => [k, String(v ?? "")] as const);
  const hasLength = headers.some(([k]) => k.toLowerCase() === "content-length");
  if (data && !hasLength && input.autocomplete_headers !== false) headers.push(["Content-Length", String(Buffer.byteLength(data))]);
  const head = [`${input.method ?? "GET"} ${input.uri ?? "/"} ${input.version ?? "HTTP/1.1"}`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  return `${head.join("\r\n")}\r\n\r\n${data}`;
}

/** Headers every CRS test sends whatever it tests; any other header (or another User-Agent) is where a test placed something. */
const TEMPLATE_HEADERS = new Set([
  "host", "accept", "accept-encoding", "accept-language", "accept-charset", "connection", "keep-alive", "content-type", "content-length",
  "cache-control", "pragma", "upgrade-insecure-requests", "transfer-encoding",
]);
const TEST_AGENT = /owasp|modsecurity|crs test/i;

function bodyPlacement(req: HttpRequest): Placement {
  const type = (headerValue(req, "content-type") ?? "").toLowerCase();
  const text = req.body!.trimStart();
  if (type.includes("multipart/")) return "multipart";
  if (type.includes("graphql") || (/graphql/i.test(req.path) && /^[{[]/.test(text))) return "graphql";
  if (type.includes("json") || (!type && /^[{[]/.test(text))) return "json";
  if (type.includes("xml") || type.includes("soap") || (!type && text.startsWith("<"))) return "xml";
  if (type.includes("x-www-form-urlencoded") || (!type && /^[^=\s&]+=/.test(text))) return "urlencoded";
  return "other body";
}

function placementOf(req: HttpRequest): Placement {
  if (req.body && req.body.trim()) return bodyPlacement(req);
  if (req.headers.some(([h]) => h === "cookie")) return "cookie";
  if (req.headers.some(([h, v]) => (h === "user-agent" ? !TEST_AGENT.test(v) : !TEMPLATE_HEADERS.has(h)))) return "header";
  if (req.query) return "query";
  return "path";
}

const ids = (xs: unknown): number[] => (Array.isArray(xs) ? xs.map(Number) : []);

/** Reads every `REQUEST-9xx-*` folder of a crs-regression checkout (RESPONSE-* tests response inspection, which Moat does not do). */
export function loadCrsTests(dir: string): CrsCorpus {
  const corpus: CrsCorpus = { cases: [], malformed: [], unlabelled: 0, skippedFiles: [] };
  for (const folder of readdirSync(dir).filter((d) => /^REQUEST-\d{3}-/.test(d)).sort()) {
    const family = folder.slice(8, 11);
    for (const file of readdirSync(join(dir, folder)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      let doc: FtwFile | null;
      try {
        const parsed = Bun.YAML.parse(readFileSync(join(dir, folder, file), "utf8"));
        doc = (Array.isArray(parsed) ? parsed[0] : parsed) as FtwFile | null;
      } catch (e) {
        corpus.skippedFiles.push({ file: `${folder}/${file}`, reason: (e as Error).message });
        continue;
      }
      if (!doc?.tests) {
        corpus.skippedFiles.push({ file: `${folder}/${file}`, reason: "no tests" });
        continue;
      }
      const rule = String(doc.rule_id ?? file.replace(/\.ya?ml$/, ""));
      for (const test of doc.tests) addTest(corpus, family, rule, test);
    }
  }
  return corpus;
}

function addTest(corpus: CrsCorpus, family: string, rule: string, test: NonNullable<FtwFile["tests"]>[number]): void {
  const stages = test.stages ?? [];
  stages.forEach((stage, k) => {
    const input = stage.input ?? stage.stage?.input;
    const output = stage.output ?? stage.stage?.output;
    if (!input) return;
    const expect = ids(output?.log?.expect_ids ?? output?.expect_ids);
    const noExpect = ids(output?.log?.no_expect_ids ?? output?.no_expect_ids);
    const positive = expect.some((id) => String(id).startsWith(family));
    if (!positive && (expect.length || !noExpect.length)) {
      corpus.unlabelled++;
      return;
    }
    const id = `${rule}-${test.test_id ?? "?"}${stages.length > 1 ? `.${k + 1}` : ""}`;
    const split = devOrTest(JSON.stringify([input.method, input.uri, input.headers, input.data]));
    const parsed = rawHttpParser.parse(ftwRawRequest(input), { source: `crs:${id}` });
    if (isParseError(parsed)) corpus.malformed.push({ id, family, positive, split, reason: parsed.reason });
    else corpus.cases.push({ id, family, positive, split, placement: placementOf(parsed), request: parsed });
  });
}
