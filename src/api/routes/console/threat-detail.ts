/**
 * One threat in full, for the dashboard's detail view: the request as received, every field as the
 * normalizer saw it, and the reasons with the evidence located in the field's raw value.
 *
 * Generic evidence is a piece of the *normalized* text (decoded, lower-cased, whitespace folded), so
 * it is searched in views of the raw value that undo URL-encoding pass by pass while remembering
 * where each character came from; evidence that only exists after the normalizer's other steps
 * (entities, NFKC, comment folding) is not located, and the reason has no offsets.
 */
import type { HttpRequest } from "../../../core/http-request.ts";
import { decompose } from "../../../decompose/index.ts";
import type { Leaf } from "../../../decompose/leaf.ts";
import { normalizeValue } from "../../../detect/normalize.ts";
import type { NormalizeFlags } from "../../../detect/normalize.ts";
import type { ThreatRow } from "../../../store/rows.ts";
import type { Allowlist } from "../../../services/allowlist.ts";
import type { StoredRequest } from "../../../services/threats.ts";
import { isoOrNull, storedReasons, toThreatData } from "../../contract.ts";
import type { ThreatDetailT } from "../../console-contract.ts";

/** URL-decoding passes tried when locating evidence (the normalizer makes at most 4). */
const MAX_PASSES = 4;
/** Fields shown at most: a request can carry thousands of parameters. */
const MAX_FIELDS_SHOWN = 500;

/** A character of a decoded view and the span of the raw value it came from. */
interface Unit {
  text: string;
  start: number;
  end: number;
}

const isHex = (u: Unit | undefined) => u !== undefined && /^[0-9a-fA-F]$/.test(u.text);

/** Length of the UTF-8 sequence a lead byte starts (1 for anything that is not a lead byte). */
function sequenceLength(b: number): number {
  if (b >= 0xf0 && b <= 0xf4) return 4;
  if (b >= 0xe0) return b <= 0xef ? 3 : 1;
  return b >= 0xc2 && b <= 0xdf ? 2 : 1;
}

/** One URL-decoding pass (`%XX`, UTF-8 sequences as one character, `+` as space when asked). */
function decodePass(units: Unit[], plusAsSpace: boolean): Unit[] {
  const out: Unit[] = [];
  for (let i = 0; i < units.length; ) {
    const u = units[i]!;
    if (u.text === "%" && isHex(units[i + 1]) && isHex(units[i + 2])) {
      const bytes: number[] = [];
      const spans: [number, number][] = [];
      let j = i;
      while (units[j]?.text === "%" && isHex(units[j + 1]) && isHex(units[j + 2])) {
        bytes.push(parseInt(units[j + 1]!.text + units[j + 2]!.text, 16));
        spans.push([units[j]!.start, units[j + 2]!.end]);
        j += 3;
      }
      for (let k = 0; k < bytes.length; ) {
        const n = sequenceLength(bytes[k]!);
        const seq = bytes.slice(k, k + n);
        const text = n > 1 && seq.length === n && seq.slice(1).every((b) => (b & 0xc0) === 0x80) ? Buffer.from(seq).toString("utf8") : "";
        if (text && !text.includes("\ufffd")) {
          out.push({ text, start: spans[k]![0], end: spans[k + n - 1]![1] });
          k += n;
        } else {
          out.push({ text: String.fromCharCode(bytes[k]!), start: spans[k]![0], end: spans[k]![1] });
          k++;
        }
      }
      i = j;
    } else {
      out.push(plusAsSpace && u.text === "+" ? { ...u, text: " " } : u);
      i++;
    }
  }
  return out;
}

/** The view the evidence is compared with: lower-cased, NULs dropped, whitespace runs as one space. */
function searchable(units: Unit[]): { text: string; owner: number[] } {
  let text = "";
  const owner: number[] = [];
  let lastSpace = false;
  units.forEach((u, i) => {
    if (u.text === "\u0000") return;
    if (/^[\s\u00a0]$/.test(u.text)) {
      if (lastSpace) return;
      lastSpace = true;
      text += " ";
      owner.push(i);
      return;
    }
    lastSpace = false;
    const lower = u.text.toLowerCase();
    text += lower;
    for (let k = 0; k < lower.length; k++) owner.push(i);
  });
  return { text, owner };
}

/** Where `evidence` lies in `raw` (UTF-16 offsets), looking through up to four URL-decoding passes; null when it cannot be placed. */
export function locateEvidence(raw: string, evidence: string, plusAsSpace: boolean): { start: number; end: number } | null {
  if (!evidence) return null;
  const direct = raw.indexOf(evidence);
  if (direct >= 0) return { start: direct, end: direct + evidence.length };
  const needle = evidence.toLowerCase();
  let units: Unit[] = [];
  let offset = 0;
  for (const ch of raw) {
    units.push({ text: ch, start: offset, end: offset + ch.length });
    offset += ch.length;
  }
  for (let pass = 0; pass <= MAX_PASSES; pass++) {
    const view = searchable(units);
    const at = view.text.indexOf(needle);
    if (at >= 0) return { start: units[view.owner[at]!]!.start, end: units[view.owner[at + needle.length - 1]!]!.end };
    const decoded = decodePass(units, plusAsSpace && pass === 0);
    if (decoded.length === units.length && decoded.every((u, i) => u.text === units[i]!.text)) break;
    units = decoded;
  }
  return null;
}

/** What normalization undid, by name. */
function decodings(flags: NormalizeFlags): string[] {
  const names: string[] = Array.from({ length: flags.urlDecodePasses }, () => "url-decode");
  const named: [keyof NormalizeFlags, string][] = [
    ["percentU", "%u"], ["overlongUtf8", "overlong-utf8"], ["htmlEntities", "html-entities"], ["unicodeCompat", "unicode-compat"],
    ["nullByte", "nul-byte"], ["controlChars", "control-chars"], ["comments", "comments"], ["decodeLimitHit", "decode-limit"],
  ];
  for (const [flag, name] of named) if (flags[flag]) names.push(name);
  return names;
}

/** The request as HTTP text: how an inline check (or a threat stored without its line) is shown. */
function httpText(req: HttpRequest): string {
  const head = `${req.method} ${req.path || "/"}${req.query ? `?${req.query}` : ""} ${req.protocol || "HTTP/1.1"}`;
  return [head, ...req.headers.map(([name, value]) => `${name}: ${value}`), "", req.body ?? ""].join("\r\n");
}

function headerRecord(headers: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) out[name] = name in out ? `${out[name]}, ${value}` : value;
  return out;
}

interface Wire {
  raw: string;
  plusAsSpace: boolean;
}

/** The request's query and form parameters by their leaf path (`query.id`): the first of a repeated name. */
function paramsByPath(req: HttpRequest): Map<string, Wire> {
  const out = new Map<string, Wire>();
  for (const p of req.params) {
    const path = `${p.location}.${p.name}`;
    if (!out.has(path)) out.set(path, { raw: p.rawValue, plusAsSpace: true });
  }
  return out;
}

/**
 * The value a reason's field names, as sent: a query or form parameter in its wire form (still
 * percent-encoded), any other leaf as its text. Site reasons can name what is not a leaf: the method,
 * or a parameter by its wire form.
 */
function rawOf(leaves: Leaf[], req: HttpRequest, params: Map<string, Wire>, label: string): Wire | null {
  if (label === "method") return { raw: req.method, plusAsSpace: false };
  const param = params.get(label);
  if (param) return param;
  const leaf = leaves.find((l) => l.path === label);
  return leaf ? { raw: leaf.text, plusAsSpace: false } : null;
}

export function threatDetail(row: ThreatRow, allowlist: Allowlist, genericThreshold: number, now: number): ThreatDetailT {
  const req = JSON.parse(row.request) as StoredRequest;
  const reasons = storedReasons(row);
  const { leaves } = decompose(req);
  const params = paramsByPath(req);
  return {
    ...toThreatData(row, now),
    method: row.method,
    threshold: row.threshold,
    modelVersion: row.modelVersion,
    attackType: row.attackType,
    request: { raw: req.raw ?? httpText(req), method: req.method, path: req.path, query: req.query, ...(req.host ? { host: req.host } : {}), headers: headerRecord(req.headers), body: req.body, redacted: req.redacted ?? [] },
    normalized: leaves.slice(0, MAX_FIELDS_SHOWN).map((l) => {
      const raw = params.get(l.path)?.raw ?? l.text;
      const norm = normalizeValue(l.text);
      return { field: l.path, raw, normalized: norm.text, decodings: [...(raw !== l.text ? ["url-decode"] : []), ...l.encodings, ...decodings(norm.flags)] };
    }),
    reasons: reasons.map((r) => {
      const source = rawOf(leaves, req, params, r.field);
      const at = source ? locateEvidence(source.raw, r.evidence, source.plusAsSpace) : null;
      return { field: r.field, name: r.name, evidence: r.evidence, detector: r.detector, weight: r.weight, detail: r.detail, ...(at ?? {}) };
    }),
    falsePositive: allowlist.covering({ endpoint: row.endpoint, attackType: row.attackType, reasons, genericThreshold }) !== undefined,
    incidentId: row.incidentId,
    acknowledgedAt: isoOrNull(row.acknowledgedAt),
  };
}
