/**
 * Writes requests back out as nginx `combined` log lines, escaped the way nginx's default
 * `escape=default` does: `"`, `\`, control bytes and bytes ≥ 0x7f of the UTF-8 encoding become `\xHH`.
 */
import type { HttpRequest } from "../../src/core/http-request.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const HEX = Array.from({ length: 256 }, (_, b) => `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`);
/** Printable ASCII minus `"` and `\`: nothing to escape. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function escapeNginx(s: string): string {
  if (PLAIN.test(s)) return s;
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    out += b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x7f ? HEX[b] : String.fromCharCode(b);
  }
  return out;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Epoch ms → `24/Nov/2026:11:54:54 +0000` (UTC). */
export function formatTimeLocal(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The same, memoised on the whole second (consecutive log lines mostly share it). */
export function timeLocalFormatter(): (ms: number) => string {
  let second = NaN;
  let text = "";
  return (ms) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      text = formatTimeLocal(s * 1000);
    }
    return text;
  };
}

/** `$request`: `METHOD target PROTOCOL`, leaving out the parts the request does not have. */
export function requestLine(req: Pick<HttpRequest, "method" | "path" | "query" | "protocol">): string {
  const target = req.query ? `${req.path}?${req.query}` : req.path;
  return [req.method, target, req.protocol].filter((p) => p !== "").join(" ");
}

const orDash = (s: string) => (s === "" ? "-" : escapeNginx(s));

/**
 * A combined line split around its timestamp, so that the time can be changed cheaply:
 * `head + formatTimeLocal(time) + tail` is the line (tail ends with the newline).
 */
export interface CombinedParts {
  head: string;
  time: number | null;
  tail: string;
}

export function combinedParts(req: HttpRequest): CombinedParts {
  const status = req.status === null ? "-" : String(req.status);
  const bytes = req.bytesSent === null ? "0" : String(req.bytesSent);
  return {
    head: `${orDash(req.clientIp)} - - [`,
    time: req.time,
    tail: `] "${escapeNginx(requestLine(req))}" ${status} ${bytes} "${orDash(req.referer)}" "${orDash(req.userAgent)}"\n`,
  };
}
