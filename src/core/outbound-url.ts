/**
 * Where Moat may send requests of its own (the alert webhook). The URL is set by whoever edits the
 * configuration or holds an admin key, and the request leaves from the Moat host, inside the
 * network: left unchecked it reaches loopback admin ports, the LAN and the cloud metadata service at
 * 169.254.169.254 (server-side request forgery). So only public addresses are allowed, unless the
 * operator lists a range (alerts.webhook_allow_ranges, e.g. a receiver on the LAN).
 *
 * Host text is never classified as written: WHATWG URL parsing first turns `0177.0.0.1`,
 * `2130706433` and `0x7f.1` into `127.0.0.1` (and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`), and
 * a host name is judged by every address it resolves to.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { parseCidr, parseIp, rangeContains, type IpRange } from "./ip.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a host name; tests pass their own. */
export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** A destination refused by policy (not a passing failure: asking again gives the same answer until the config or DNS changes). */
export class OutboundRefused extends Error {
  override name = "OutboundRefused";
}

/** IPv4-compatible IPv6 (`::a.b.c.d`, deprecated): ipaddr.js calls it unicast, but it is no public destination. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");
const ALLOW_HINT = "Moat sends webhooks to public addresses only; list the address or its range in alerts.webhook_allow_ranges to allow it";

/**
 * The non-public range `address` (one address, as URL parsing or DNS gives it) lies in, e.g.
 * `loopback`, `private`, `linkLocal`, `carrierGradeNat`, `uniqueLocal`, `multicast`; null when it is
 * public unicast. An IPv4-mapped IPv6 address is judged as its IPv4 address.
 */
function nonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an IP address";
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range !== "unicast") return range;
  return ip.kind() === "ipv6" && ip.match(IPV4_COMPATIBLE) ? "ipv4Compatible" : null;
}

function allowedRanges(allow: readonly string[]): IpRange[] {
  return allow.map(parseCidr).filter((r): r is IpRange => r !== null);
}

/** Why Moat may not send to `address` (`subject` says where it came from), or null when it may. */
function addressProblem(subject: string, address: string, allow: readonly string[]): string | null {
  const range = nonPublicRange(address);
  if (range === null) return null;
  const ip = parseIp(address);
  if (ip && allowedRanges(allow).some((r) => rangeContains(r, ip))) return null;
  return `${subject} ${address}, which is not a public address (${range}): ${ALLOW_HINT}`;
}

/** `[::1]` → `::1`: URL hostnames keep an IPv6 literal's brackets. */
function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * What is wrong with `text` as a destination, judged without the network: not an absolute http(s)
 * URL, credentials in it (`user:pass@`: they would be sent in the clear to every redirect and log),
 * or an address literal that is not public. Null when it may be used (a host name is judged again
 * by resolveOutbound at every send).
 */
export function outboundUrlProblem(text: string, allow: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a valid URL (an absolute http:// or https:// URL)";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `the scheme must be http or https, not ${url.protocol.replace(":", "")}`;
  if (url.username || url.password) return "must not carry a user name or password (user:pass@); a webhook's secret goes in its path";
  const host = bareHost(url);
  // "reads as": the URL parser's form, which may not be the text given (2130706433 is 127.0.0.1).
  return parseIp(host) ? addressProblem("its host reads as", host, allow) : null;
}

/**
 * Resolves the URL's host and checks every address it has: refused (OutboundRefused) when ANY is
 * not public and not allowed, since a later connection could pick that one. Returns the address
 * to connect to: the first IPv4 one if there is one (many servers have no IPv6 route, and a pinned
 * address gets no fallback to another), else the first.
 */
export async function resolveOutbound(url: URL, allow: readonly string[], lookup: Lookup = systemLookup): Promise<ResolvedAddress> {
  const problem = outboundUrlProblem(url.href, allow);
  if (problem) throw new OutboundRefused(problem);
  const host = bareHost(url);
  const literal = parseIp(host);
  const addresses = literal ? [{ address: host, family: literal.family }] : await lookup(host);
  if (!addresses.length) throw new Error(`${host} has no address`);
  for (const { address } of addresses) {
    const refused = addressProblem(`${host} resolves to`, address, allow);
    if (refused) throw new OutboundRefused(refused);
  }
  return addresses.find((a) => a.family === 4) ?? addresses[0]!;
}
