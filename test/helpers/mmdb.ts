/**
 * A small MaxMind DB (.mmdb) writer for tests, after the format's published specification (version
 * 2.0): a binary search tree of 24- or 32-bit records, 16 zero bytes, the data section, then the
 * metadata map after "\xAB\xCD\xEFMaxMind.com". Enough for GeoLite2-style country and ASN fixtures
 * built in the test itself: no database is shipped or downloaded.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCidr } from "../../src/core/ip.ts";

/** A value with the exact type the format stores (the metadata names uint16 and uint64 fields). */
export class Typed {
  constructor(
    readonly type: "uint16" | "uint64" | "double",
    readonly value: number | bigint,
  ) {}
}
export const uint16 = (n: number) => new Typed("uint16", n);
export const uint64 = (n: number | bigint) => new Typed("uint64", BigInt(n));

/** A whole number from 0 to 2^32 - 1 is stored as uint32, any other number as a double. */
export type MmdbValue = string | number | boolean | Typed | MmdbValue[] | { [key: string]: MmdbValue };

// Type numbers of the data section; above 7 they are "extended": a 0 type in the control byte, then type - 7.
const TYPE = { pointer: 1, string: 2, double: 3, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

function bigEndian(value: bigint, length: number): number[] {
  return Array.from({ length }, (_, i) => Number((value >> BigInt(8 * (length - 1 - i))) & 0xffn));
}

/** The shortest big-endian bytes of an unsigned integer (none for 0), as the format stores them. */
function minimalBytes(value: bigint): number[] {
  const out: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return out;
}

/** The control byte(s): type and payload size (sizes of 29 and more take one to three more bytes). */
function control(type: number, size: number): number[] {
  const first = type > 7 ? 0 : type << 5;
  const extended = type > 7 ? [type - 7] : [];
  if (size < 29) return [first | size, ...extended];
  if (size < 285) return [first | 29, ...extended, size - 29];
  if (size < 65_821) return [first | 30, ...extended, ...bigEndian(BigInt(size - 285), 2)];
  return [first | 31, ...extended, ...bigEndian(BigInt(size - 65_821), 3)];
}

function encodeUint(type: number, value: bigint): number[] {
  const bytes = minimalBytes(value);
  return [...control(type, bytes.length), ...bytes];
}

function encodeDouble(value: number): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value);
  return [...control(TYPE.double, 8), ...bytes];
}

export function encodeValue(value: MmdbValue): number[] {
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return [...control(TYPE.string, bytes.length), ...bytes];
  }
  if (typeof value === "boolean") return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value < 2 ** 32 ? encodeUint(TYPE.uint32, BigInt(value)) : encodeDouble(value);
  if (value instanceof Typed) return value.type === "double" ? encodeDouble(Number(value.value)) : encodeUint(TYPE[value.type], BigInt(value.value));
  if (Array.isArray(value)) return [...control(TYPE.array, value.length), ...value.flatMap(encodeValue)];
  const entries = Object.entries(value);
  return [...control(TYPE.map, entries.length), ...entries.flatMap(([k, v]) => [...encodeValue(k), ...encodeValue(v)])];
}

/** A record of the tree: another node, the offset of a data record in the data section, or nothing. */
type Slot = TreeNode | { data: number } | null;
interface TreeNode {
  children: [Slot, Slot];
}
const isNode = (slot: Slot): slot is TreeNode => slot !== null && "children" in slot;

/** The network's bits as the tree walks them: an IPv4 network in an IPv6 tree sits under ::/96. */
function networkBits(cidr: string, ipVersion: 4 | 6): number[] {
  const range = parseCidr(cidr);
  if (!range) throw new Error(`not a network: ${cidr}`);
  if (range.family === 6 && ipVersion === 4) throw new Error(`${cidr}: an IPv6 network in an IPv4 database`);
  const bits = Array.from({ length: range.bytes.length * 8 }, (_, i) => (range.bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  const lead = range.family === 4 && ipVersion === 6 ? new Array<number>(96).fill(0) : [];
  return [...lead, ...bits].slice(0, lead.length + range.prefix);
}

/** Puts `data` at the end of `bits`; a leaf met on the way (a wider network) is split so that it still covers the rest. */
function insert(root: TreeNode, bits: number[], data: number): void {
  if (!bits.length) throw new Error("a /0 network is not supported");
  let node = root;
  const side = (i: number) => bits[i] as 0 | 1;
  for (let i = 0; i < bits.length - 1; i++) {
    const slot = node.children[side(i)];
    const next: TreeNode = isNode(slot) ? slot : { children: [slot, slot] };
    node.children[side(i)] = next;
    node = next;
  }
  node.children[side(bits.length - 1)] = { data };
}

export interface MmdbOptions {
  databaseType: string;
  ipVersion?: 4 | 6;
  recordSize?: 24 | 32;
  description?: string;
  /** Seconds since the epoch. */
  buildEpoch?: number;
  languages?: string[];
}

/** A whole database: each network (CIDR text) with its record. Give wider networks before narrower ones inside them. */
export function buildMmdb(networks: { network: string; data: MmdbValue }[], options: MmdbOptions): Buffer {
  const ipVersion = options.ipVersion ?? 6;
  const recordSize = options.recordSize ?? 24;
  const data: number[] = [];
  const offsets = new Map<string, number>(); // equal records are stored once, as real databases do
  const root: TreeNode = { children: [null, null] };
  for (const { network, data: value } of networks) {
    const key = JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    if (!offsets.has(key)) {
      offsets.set(key, data.length);
      data.push(...encodeValue(value));
    }
    insert(root, networkBits(network, ipVersion), offsets.get(key)!);
  }
  // Breadth first: the root is node 0.
  const nodes: TreeNode[] = [root];
  for (let i = 0; i < nodes.length; i++) for (const child of nodes[i]!.children) if (isNode(child)) nodes.push(child);
  const index = new Map(nodes.map((n, i) => [n, i]));
  const nodeCount = nodes.length;
  const recordValue = (slot: Slot) => (slot === null ? nodeCount : isNode(slot) ? index.get(slot)! : nodeCount + 16 + slot.data);
  const tree = nodes.flatMap((n) =>
    n.children.flatMap((slot) => {
      const value = recordValue(slot);
      if (value >= 2 ** recordSize) throw new Error(`record value ${value} does not fit in ${recordSize} bits`);
      return bigEndian(BigInt(value), recordSize / 8);
    }),
  );
  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: uint16(recordSize),
    ip_version: uint16(ipVersion),
    database_type: options.databaseType,
    languages: options.languages ?? ["en"],
    binary_format_major_version: uint16(2),
    binary_format_minor_version: uint16(0),
    build_epoch: uint64(options.buildEpoch ?? Math.floor(Date.UTC(2026, 0, 6) / 1000)),
    description: { en: options.description ?? `${options.databaseType} test fixture` },
  });
  const marker = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
  return Buffer.from([...tree, ...new Array<number>(16).fill(0), ...data, ...marker, ...metadata]);
}

/** A GeoLite2-Country-shaped record. */
export const countryRecord = (isoCode: string, name: string): MmdbValue => ({ country: { iso_code: isoCode, names: { en: name } }, continent: { code: "EU", names: { en: "Europe" } } });

/** A GeoLite2-ASN-shaped record. */
export const asnRecord = (asn: number, organization: string): MmdbValue => ({ autonomous_system_number: asn, autonomous_system_organization: organization });

/**
 * The country and ASN fixtures the geo tests share, on documentation addresses (RFC 5737, RFC 3849)
 * and documentation AS numbers (RFC 5398). 10.0.0.0/8 is listed on purpose: a private address must
 * get nothing even from a database that has it.
 */
export function writeGeoFixtures(dir: string): { country: string; asn: string } {
  const country = join(dir, "country.mmdb");
  const asn = join(dir, "asn.mmdb");
  writeFileSync(
    country,
    buildMmdb(
      [
        { network: "203.0.113.0/24", data: countryRecord("NL", "Netherlands") },
        { network: "2001:db8:1::/48", data: countryRecord("JP", "Japan") },
        { network: "10.0.0.0/8", data: countryRecord("US", "United States") },
        { network: "192.0.2.128/25", data: countryRecord("ZZ", "Unknown") }, // DB-IP's "unknown"
      ],
      { databaseType: "GeoLite2-Country" },
    ),
  );
  writeFileSync(
    asn,
    buildMmdb(
      [
        { network: "203.0.0.0/16", data: asnRecord(64500, "Example Transit B.V.") },
        { network: "203.0.113.0/25", data: asnRecord(64501, "Example Hosting Ltd") },
        { network: "2001:db8::/32", data: asnRecord(64502, "Example IPv6 Net") },
        { network: "10.0.0.0/8", data: asnRecord(64503, "Somebody's LAN") },
        { network: "198.51.100.0/24", data: asnRecord(64510, `Example ${"Very ".repeat(60)}Long Name`) },
      ],
      { databaseType: "GeoLite2-ASN", recordSize: 32 },
    ),
  );
  return { country, asn };
}
