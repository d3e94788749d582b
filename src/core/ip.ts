/**
 * IP addresses and CIDR ranges, parsed strictly. A client address read from a log line is whatever
 * the client (or a forged X-Forwarded-For) made it, and some addresses end up in nginx configuration
 * (the deny list): only text that is entirely one IPv4 or IPv6 address is accepted, and it is written
 * back in one canonical form (RFC 5952 for IPv6; IPv4-mapped IPv6 as the IPv4 address nginx matches).
 */

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface IpRange extends IpAddress {
  prefix: number;
}

/** The longest IPv6 text form (with an IPv4 tail) is 45 characters: longer input is refused before any parsing. */
const MAX_ADDRESS_CHARS = 45;
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): Uint8Array | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) ? Uint8Array.from(octets) : null;
}

/** Groups of one side of `::`, each a 16-bit number; an IPv4 tail counts as two groups. */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (allowIpv4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** One address, nothing around it (no spaces, zone ids, ports or prefixes); null otherwise. */
export function parseIp(text: string): IpAddress | null {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_ADDRESS_CHARS) return null;
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : null;
  return v6 ? { family: 6, bytes: v6 } : null;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The canonical text of an address, or null when `text` is not exactly one address. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  if (!ip) return null;
  return isIpv4Mapped(ip.bytes) ? formatIp({ family: 4, bytes: ip.bytes.subarray(12) }) : formatIp(ip);
}

/** The canonical text of a range: its network address (host bits cleared) and prefix, e.g. `203.0.113.0/24`. */
export function formatRange(range: IpRange): string {
  const bytes = Uint8Array.from(range.bytes);
  for (let bit = range.prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${formatIp({ family: range.family, bytes })}/${range.prefix}`;
}

/** The canonical text of an address or of a range given as `address/prefix`; null when `text` is neither. */
export function canonicalIpOrRange(text: string): string | null {
  if (!text.includes("/")) return canonicalIp(text);
  const range = parseCidr(text);
  return range ? formatRange(range) : null;
}

/** The network an address belongs to at the prefix lengths campaigns rotate within: IPv4 /24, IPv6 /64. */
export function campaignPrefix(ip: string): string | null {
  const address = parseIp(ip);
  if (!address) return null;
  const v4 = isIpv4Mapped(address.bytes) ? address.bytes.subarray(12) : address.family === 4 ? address.bytes : null;
  return v4 ? formatRange({ family: 4, bytes: Uint8Array.from(v4), prefix: 24 }) : formatRange({ ...address, prefix: 64 });
}

/** An address (a range of one) or `address/prefix`; null when it is neither. */
export function parseCidr(text: string): IpRange | null {
  if (typeof text !== "string") return null;
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const bits = ip.bytes.length * 8;
  if (slash < 0) return { ...ip, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { ...ip, prefix: Number(prefixText) };
}

/** Whether `ip` lies in `range`; an IPv4-mapped IPv6 address is matched as its IPv4 address. */
export function rangeContains(range: IpRange, ip: IpAddress): boolean {
  const bytes = ip.family === 6 && range.family === 4 && isIpv4Mapped(ip.bytes) ? ip.bytes.subarray(12) : ip.bytes;
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * Blocks that hold no unicast source address: a deny line for one is at best useless and at worst
 * breaks nginx (it reads `255.255.255.255` as a parse error, INADDR_NONE, and refuses the whole
 * configuration: no reload, and no start after a reboot).
 */
const NOT_UNICAST: { range: IpRange; what: string }[] = [
  { cidr: "255.255.255.255/32", what: "the broadcast address" },
  { cidr: "0.0.0.0/8", what: '"this network" (0.0.0.0/8), never a source address' },
  { cidr: "224.0.0.0/4", what: "multicast (224.0.0.0/4)" },
  { cidr: "240.0.0.0/4", what: "reserved (240.0.0.0/4)" },
  { cidr: "::/128", what: "the unspecified address (::)" },
  { cidr: "ff00::/8", what: "multicast (ff00::/8)" },
].map(({ cidr, what }) => ({ range: parseCidr(cidr)!, what }));

/** Whether two ranges share an address: prefixes nest or are disjoint, so one holds the other's first address. */
function overlaps(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && (rangeContains(a, b) || rangeContains(b, a));
}

/** What `range` holds that is not unicast (broadcast, multicast, unspecified, reserved), or null when it is all unicast. */
export function notUnicast(range: IpRange): string | null {
  return NOT_UNICAST.find((block) => overlaps(block.range, range))?.what ?? null;
}
