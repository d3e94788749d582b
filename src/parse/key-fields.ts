/**
 * The fields detection cannot do without: the client address, the method and path, the status and the
 * time. A format that parses but leaves one of them empty (a JSON key under a name Moat does not know,
 * a vhost read as the client) misreads the log without rejecting a line, so it is counted and said.
 */
import { isIP } from "node:net";
import type { HttpRequest } from "../core/http-request.ts";

/** nginx's `$remote_addr` is an IP address, or `unix:` for a UNIX socket. */
export function isAddress(value: string): boolean {
  return isIP(value) !== 0 || value === "unix:";
}

export const KEY_FIELDS = {
  "client address": (r: HttpRequest) => isAddress(r.clientIp),
  "method and path": (r: HttpRequest) => r.method !== "" && r.path !== "",
  status: (r: HttpRequest) => r.status !== null,
  time: (r: HttpRequest) => r.time !== null,
};
export type KeyField = keyof typeof KEY_FIELDS;
/** The checks as a list, made once: a scan tallies every request. */
const KEY_FIELD_CHECKS = Object.entries(KEY_FIELDS) as [KeyField, (r: HttpRequest) => boolean][];

/** The same key fields, so that two formats reading a line differently can be told apart. */
export function keyFieldsOf(r: HttpRequest): string {
  return JSON.stringify([r.clientIp, r.method, r.path, r.query, r.status, r.time]);
}

/** Below this many requests, "most lines" says little: no warning yet. */
const MIN_REQUESTS = 5;

/** Counts, per key field, the requests where it came out empty (or, for the address, not an address). */
export class KeyFieldTally {
  total = 0;
  readonly missing = new Map<KeyField, number>();

  add(r: HttpRequest): void {
    this.total++;
    for (const [field, present] of KEY_FIELD_CHECKS) {
      if (!present(r)) this.missing.set(field, (this.missing.get(field) ?? 0) + 1);
    }
  }

  /** The fields missing on most requests, with their counts; empty while too few requests were seen. */
  mostlyMissing(): { field: KeyField; missing: number; total: number }[] {
    if (this.total < MIN_REQUESTS) return [];
    return [...this.missing].filter(([, n]) => n * 2 > this.total).map(([field, missing]) => ({ field, missing, total: this.total }));
  }
}

/** One sentence per mostly missing field, naming the source and format and what to do; null when all is well. */
export function keyFieldWarning(source: string, format: string, tally: KeyFieldTally): string | null {
  const missing = tally.mostlyMissing();
  if (!missing.length) return null;
  const what = missing.map(({ field, missing: n, total }) => `${field} on ${n} of ${total}`).join(", ");
  const hint = format === "json"
    ? "name the JSON key, e.g. moat scan --json-map remote_addr=<key>"
    : "give the exact nginx log_format with --log-format (ingest.log_format); moat explain '<line>' shows how a line is read";
  return `${source}: format ${format} leaves key fields empty or invalid (${what} requests): ${hint}`;
}

/**
 * Tallies key fields per source, over its first `sample` requests, and gives each source's warning at
 * most once: as soon as a field is missing on most of them (`moat serve` says so early; `moat scan`
 * asks at the end, over whole files).
 */
export class KeyFieldWatch {
  private readonly tallies = new Map<string, KeyFieldTally>();
  private readonly said = new Set<string>();

  constructor(private readonly sample = Number.POSITIVE_INFINITY) {}

  add(source: string, r: HttpRequest): void {
    let tally = this.tallies.get(source);
    if (!tally) this.tallies.set(source, (tally = new KeyFieldTally()));
    if (tally.total < this.sample) tally.add(r);
  }

  /** The warning for `source`, the first time there is one. */
  warning(source: string, format: string): string | null {
    const tally = this.tallies.get(source);
    if (!tally || this.said.has(source)) return null;
    const warning = keyFieldWarning(source, format, tally);
    if (warning) this.said.add(source);
    return warning;
  }
}
