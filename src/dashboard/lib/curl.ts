/**
 * "Copy as curl" for a stored request. Every part is single-quoted for a POSIX shell (a quote inside
 * becomes '\''), so an attacker's payload stays data when the command is pasted into a terminal.
 * `-g` stops curl from globbing [] and {}, `--path-as-is` from resolving ../ before sending.
 */
import type { ThreatDetail } from "./types.ts";

export function shellQuote(s: string): string {
  // A shell argument cannot hold a NUL byte: it would end the string there.
  return `'${s.replaceAll("\0", "").replaceAll("'", `'\\''`)}'`;
}

/** Headers curl computes itself or that would be wrong for a replay. */
const SKIPPED_HEADERS = new Set(["host", "content-length", "connection", "transfer-encoding"]);

/** A stand-in for the host, which the operator replaces, when neither the log nor the headers name it. */
export const UNKNOWN_HOST = "localhost";

/** What a replay needs of a stored request (its secrets are redacted markers already). */
type Replayable = Omit<ThreatDetail["request"], "redacted">;

/** Where a request went: the log's host field (`$host`, a JSON log's `host`), else its Host header. */
export function hostOf(r: Replayable): string | undefined {
  return r.host || Object.entries(r.headers).find(([k]) => k.toLowerCase() === "host")?.[1];
}

export function curlCommand(r: Replayable): string {
  const base = `http://${hostOf(r) ?? UNKNOWN_HOST}`;
  const target = `${base}${r.path.startsWith("/") ? "" : "/"}${r.path}${r.query ? `?${r.query}` : ""}`;
  const parts = ["curl", "-g", "--path-as-is"];
  if (r.method !== "GET" || r.body) parts.push("-X", shellQuote(r.method));
  for (const [k, v] of Object.entries(r.headers)) if (!SKIPPED_HEADERS.has(k.toLowerCase())) parts.push("-H", shellQuote(`${k}: ${v}`));
  if (r.body) parts.push("--data-raw", shellQuote(r.body));
  parts.push(shellQuote(target));
  return parts.join(" ");
}
