/**
 * blazehttp's benign requests (`requests.jsonl.gz`: `{"site": "...", "raw": "<raw HTTP request>"}` per
 * line), parsed by Moat's raw-HTTP parser and split by site, so that a site's requests are all on one
 * side: a model that has seen a site looks better on it than on a new one.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isParseError, type HttpRequest } from "../../core/http-request.ts";
import { rawHttpParser } from "../../parse/raw-http.ts";
import { devOrTest, type DevTest } from "./split.ts";

/** Where the shared datasets keep blazehttp's benign requests: this file in this folder. */
export const BLAZEHTTP_DIR = "blazehttp-benign";
export const BLAZEHTTP_REQUESTS = "requests.jsonl.gz";

export interface SiteRequest {
  site: string;
  split: DevTest;
  request: HttpRequest;
}

export interface BlazeCorpus {
  requests: SiteRequest[];
  /** Lines that are not `{site, raw}` JSON or whose request the parser rejects: counted and shown. */
  malformed: { line: number; site: string; split: DevTest | null; reason: string }[];
}

export function siteSplit(site: string): DevTest {
  return devOrTest(`site:${site}`);
}

export function loadBlazeHttp(file: string): BlazeCorpus {
  const bytes = readFileSync(file);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
  const corpus: BlazeCorpus = { requests: [], malformed: [] };
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let record: { site?: unknown; raw?: unknown };
    try {
      record = JSON.parse(line);
    } catch {
      corpus.malformed.push({ line: i + 1, site: "", split: null, reason: "not JSON" });
      return;
    }
    if (typeof record.site !== "string" || typeof record.raw !== "string") {
      corpus.malformed.push({ line: i + 1, site: String(record.site ?? ""), split: null, reason: "no string site and raw" });
      return;
    }
    const split = siteSplit(record.site);
    const parsed = rawHttpParser.parse(record.raw, { source: file, line: i + 1 });
    if (isParseError(parsed)) corpus.malformed.push({ line: i + 1, site: record.site, split, reason: parsed.reason });
    else corpus.requests.push({ site: record.site, split, request: parsed });
  });
  return corpus;
}
