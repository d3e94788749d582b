/**
 * The country and the network operator (AS number and name) of a client address, for the console,
 * from MaxMind-format databases the operator keeps on this host: geo.country_db and geo.asn_db
 * (GeoLite2-Country / GeoLite2-ASN, or DB-IP's lite files, which use the same format and field
 * names). Moat never downloads them. Each file is read once, at start, and looked up in memory: a
 * newer file takes a restart.
 *
 * A file that cannot be used never stops the service: it is logged at start and failed by `moat
 * doctor`, and the console shows no country or ASN from it meanwhile.
 */
import { readFileSync } from "node:fs";
import { Reader, type Response } from "mmdb-lib";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/log.ts";
import { canonicalIp, parseCidr, parseIp, rangeContains } from "../core/ip.ts";

export interface GeoInfo {
  /** ISO 3166-1 alpha-2 code, e.g. "DE". */
  country: string | null;
  asn: number | null;
  asOrg: string | null;
}

export type GeoKey = "geo.country_db" | "geo.asn_db";

/** A database in use, as doctor and the start-up log name it. */
export interface GeoDatabase {
  key: GeoKey;
  path: string;
  /** Its metadata's database_type, e.g. "GeoLite2-ASN". */
  type: string;
  builtAt: Date;
}

/** A configured file that cannot be used; `message` names the key and the file. */
export interface GeoProblem {
  key: GeoKey;
  path: string;
  message: string;
}

export interface Geo {
  databases: GeoDatabase[];
  problems: GeoProblem[];
  /** Never throws: what is not an address, a private one, or one the databases do not know gives nulls. */
  lookup(ip: string): GeoInfo;
}

const NOTHING: GeoInfo = { country: null, asn: null, asOrg: null };

/**
 * Addresses that cannot be a client on the Internet: one in a log is a host of the operator's own
 * network (a proxy, the LAN), and whatever a database says of the range is not where it is. Other
 * special ranges are looked up like any address: a database that does not list them answers nothing.
 */
const LOCAL_RANGES = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3", "::/127", "fc00::/7", "fe80::/10", "ff00::/8"].map(
  (cidr) => parseCidr(cidr)!,
);

/** An AS name shown in a table cell: a damaged file must not put a megabyte into every attacker row. */
const MAX_ORG_CHARS = 200;

interface Opened {
  db: GeoDatabase;
  reader: Reader<Response>;
  ipVersion: number;
}

/** The file as a reader, or why it cannot be one. The format's own checks are mmdb-lib's; these catch what it lets through. */
function openDatabase(key: GeoKey, path: string): Opened | GeoProblem {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { key, path, message: `${key}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  try {
    const reader = new Reader<Response>(bytes);
    const m = reader.metadata;
    const sane = m.binaryFormatMajorVersion === 2 && (m.ipVersion === 4 || m.ipVersion === 6) && Number.isInteger(m.nodeCount) && m.nodeCount > 0 && m.searchTreeSize + 16 <= bytes.length;
    if (!sane) throw new Error("its metadata does not describe a MaxMind DB version 2 search tree");
    reader.get(m.ipVersion === 6 ? "2001:db8::1" : "192.0.2.1"); // a walk to a leaf: a truncated tree fails here, not on the first attacker
    const builtAt = m.buildEpoch instanceof Date && !Number.isNaN(m.buildEpoch.getTime()) ? m.buildEpoch : new Date(0);
    return { db: { key, path, type: typeof m.databaseType === "string" ? m.databaseType : "unknown", builtAt }, reader, ipVersion: m.ipVersion };
  } catch (e) {
    return { key, path, message: `${key}: ${path} is not a usable MaxMind DB (.mmdb) file (${(e as Error).message})` };
  }
}

/** The record of `ip` in one database, or null; never throws, whatever the file holds. */
function recordOf(opened: Opened | null, ip: string, family: 4 | 6): Record<string, unknown> | null {
  if (!opened || (family === 6 && opened.ipVersion === 4)) return null;
  try {
    const record = opened.reader.get(ip) as unknown;
    return typeof record === "object" && record !== null ? (record as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function countryOf(record: Record<string, unknown> | null): string | null {
  const code = (record?.country as { iso_code?: unknown } | undefined)?.iso_code;
  // ZZ is the user-assigned code DB-IP writes for "unknown".
  return typeof code === "string" && /^[A-Z]{2}$/.test(code) && code !== "ZZ" ? code : null;
}

function asnOf(record: Record<string, unknown> | null): Pick<GeoInfo, "asn" | "asOrg"> {
  const number = record?.autonomous_system_number;
  const org = record?.autonomous_system_organization;
  return {
    asn: typeof number === "number" && Number.isInteger(number) && number > 0 && number <= 0xffff_ffff ? number : null,
    asOrg: typeof org === "string" && org.trim() ? org.trim().slice(0, MAX_ORG_CHARS) : null,
  };
}

/** Reads the configured files (none: a Geo that answers nulls). */
export function openGeo(config: Config["geo"]): Geo {
  const open = (key: GeoKey, path: string) => (path ? openDatabase(key, path) : null);
  const country = open("geo.country_db", config.country_db);
  const asn = open("geo.asn_db", config.asn_db);
  const usable = (x: Opened | GeoProblem | null): Opened | null => (x && "reader" in x ? x : null);
  const [countryDb, asnDb] = [usable(country), usable(asn)];
  return {
    databases: [countryDb, asnDb].filter((x) => x !== null).map((x) => x.db),
    problems: [country, asn].filter((x): x is GeoProblem => x !== null && "message" in x),
    lookup(ip) {
      if (!countryDb && !asnDb) return NOTHING;
      // The canonical text, not the input, is parsed: an IPv4-mapped address is then looked up as IPv4 (family 4).
      const canonical = canonicalIp(ip); // null for anything but one address, a non-string included
      const address = canonical === null ? null : parseIp(canonical);
      if (!canonical || !address || LOCAL_RANGES.some((r) => rangeContains(r, address))) return NOTHING;
      return { country: countryOf(recordOf(countryDb, canonical, address.family)), ...asnOf(recordOf(asnDb, canonical, address.family)) };
    },
  };
}

/** openGeo for `moat serve`: what is used, and what cannot be, goes to the log. */
export function startGeo(config: Config["geo"], log: Logger): Geo {
  const geo = openGeo(config);
  for (const p of geo.problems) log.error("geo database not used: the console shows no country or ASN from it until it is fixed and moat restarted", { key: p.key, file: p.path, error: p.message });
  for (const d of geo.databases) log.info("geo database", { key: d.key, file: d.path, type: d.type, built: d.builtAt.toISOString().slice(0, 10) });
  return geo;
}
