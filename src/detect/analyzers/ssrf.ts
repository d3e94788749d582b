/**
 * Server-side request forgery and open redirects: a value that is (or starts like) a URL.
 *
 * SSRF is about where the URL points once the server's URL parser has read it: loopback, the private
 * and link-local ranges, the cloud metadata services, however the host is spelt (`2130706433`,
 * `0x7f.1`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`, enclosed digits `①②⑦`: WHATWG URL parsing
 * folds them all), plus host notations no honest client writes, and schemes that speak to other
 * services (`gopher:`, `dict:`, `file:`, ...).
 *
 * An open redirect is only a value of a redirect-like parameter (`next`, `redirect_uri`, `returnTo`,
 * ...) that leaves the site: an absolute or protocol-relative URL (there is no site host in the input,
 * so any host counts, moderately), strongly when its spelling is one of the parser-confusion tricks
 * (`/\host`, `http:/\host`, `///host`, `https:host`, `good.example@evil.example`). A `javascript:`
 * URL is the XSS analyzer's.
 *
 * A Referer or Origin header says where the request came from: it is never judged here, nor any leaf
 * the decompose stage made from it.
 */
import ipaddr from "ipaddr.js";
import { parseIp } from "../../core/ip.ts";
import { hexByteAt, percentDecode } from "../../parse/decode.ts";
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import type { AttackClass } from "../classes.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, hostName, isAsciiDigit, isAsciiLetter, lowerAscii } from "./text.ts";

function find(cls: AttackClass, rule: string, strength: number, start: number, end: number): Finding {
  return finding(cls, `${cls === "open-redirect" ? "redirect" : "ssrf"}.${rule}`, strength, start, end);
}

// ---- where a host points ----

type Target = "metadata" | "loopback" | "internal" | "public";

interface HostVerdict {
  target: Target;
  /** Written in a notation no honest URL uses: dotless, octal or hex IPv4, IPv4-mapped IPv6, enclosed digits. */
  odd: boolean;
}

/** Cloud instance metadata services, by address and by name. */
const METADATA_ADDRESSES = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"]);
const METADATA_NAMES = new Set([
  "metadata", "metadata.google.internal", "metadata.goog", "metadata.azure.com", "metadata.packet.net",
  "metadata.platformequinix.com", "metadata.tencentyun.com", "instance-data", "instance-data.ec2.internal",
]);
/** Names that resolve to the host itself, including public wildcard services made for that. */
const LOOPBACK_NAMES = new Set([
  "localhost", "localhost.localdomain", "localhost4", "localhost6", "localhost4.localdomain4", "localhost6.localdomain6",
  "ip6-localhost", "ipv6-localhost", "ip6-loopback", "localtest.me", "lvh.me", "vcap.me",
]);
const LOOPBACK_SUFFIXES = [".localhost", ".localtest.me", ".lvh.me", ".vcap.me"];
/**
 * Names that a container resolves to what runs it: the host's own services (Docker's and Podman's
 * host gateway) and the cluster's API server. From inside a container they are what `localhost` is
 * outside one, and an SSRF aims at them for the same reason: judged as loopback.
 */
const RUNTIME_HOST_NAMES = new Set([
  "host.docker.internal", "gateway.docker.internal", "kubernetes.docker.internal", "host.containers.internal",
  "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
]);
/**
 * Zones only an internal network resolves: Kubernetes services, cloud-internal names, Consul's service
 * names, multicast DNS and the names offices give their own networks.
 */
const INTERNAL_SUFFIXES = [".internal", ".cluster.local", ".svc", ".consul", ".local", ".lan", ".corp", ".intranet", ".home.arpa"];
/**
 * Wildcard DNS services that answer with an address spelt in the name: `10.0.0.1.nip.io`,
 * `app-7f000001.sslip.io`, and the rebinding services that alternate between two
 * (`7f000001.c0a80001.rbndr.us`, `make-1.2.3.4-rebind-127.0.0.1-rr.1u.ms`): the name passes a check
 * that resolves it once, and the request goes to the second address.
 */
const ADDRESS_NAME_SERVICES = [".nip.io", ".sslip.io", ".xip.io", ".rbndr.us", ".1u.ms", ".rebind.network", ".traefik.me"];
/**
 * Of those, the ones that exist to rebind (their answers alternate): a name under one that spells an
 * inward address is odd, as a folded notation is. The wildcard ones (`nip.io`) also name developers'
 * own machines.
 */
const REBINDING_SERVICES = [".rbndr.us", ".1u.ms", ".rebind.network"];
/** An address spelt in a name: four decimal parts joined by dots or dashes, or eight hex digits as one label part. */
const SPELT_ADDRESS = /(?:^|[.-])(?:(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})|([0-9a-f]{8}))(?=[.-]|$)/g;
const MAX_DNS_NAME = 253;
const TARGET_RANK: Record<Target, number> = { public: 0, internal: 1, loopback: 2, metadata: 3 };

/** The most inward-pointing of the addresses a wildcard or rebinding service's name spells; public when none. */
function speltTarget(name: string, service: string): Target {
  let worst: Target = "public";
  // A DNS name is 253 characters at most: a longer one resolves nowhere.
  if (name.length > MAX_DNS_NAME) return worst;
  SPELT_ADDRESS.lastIndex = 0;
  const labels = name.slice(0, -service.length);
  for (let m = SPELT_ADDRESS.exec(labels); m; m = SPELT_ADDRESS.exec(labels)) {
    const hex = m[5];
    const address = hex ? [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".") : m.slice(1, 5).join(".");
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) continue;
    const target = addressTarget(ipaddr.IPv4.parse(address));
    if (TARGET_RANK[target] > TARGET_RANK[worst]) worst = target;
    // Matches may overlap: a number before the address (`1.169.254.169.254.nip.io`) must not take its place.
    SPELT_ADDRESS.lastIndex = m.index + 1;
  }
  return worst;
}

const PLAIN_NAME = /^(?:[a-z0-9_-]+\.)*[a-z][a-z-]*$/;
const DNS_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
/** Host text made of numbers only (decimal, octal or hex parts): an IPv4 address however spelt, or an overflowing one. */
const NUMERIC_HOST = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}$/;

function addressTarget(address: ipaddr.IPv4 | ipaddr.IPv6): Target {
  if (METADATA_ADDRESSES.has(address.toNormalizedString()) || METADATA_ADDRESSES.has(address.toString())) return "metadata";
  switch (address.range()) {
    case "loopback":
      return "loopback";
    case "unspecified": // 0.0.0.0 and :: reach the host's own services; the rest of 0.0.0.0/8 nothing
      return address.toNormalizedString().replace(/[0:.]/g, "") === "" ? "loopback" : "public";
    case "private":
    case "linkLocal":
    case "uniqueLocal":
    case "carrierGradeNat":
      return "internal";
    default:
      return "public";
  }
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or IPv4-compatible (`::a.b.c.d`) IPv6 one. */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const parts = v6.parts;
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6]! !== 0 || parts[7]! > 1)) return new ipaddr.IPv4(v6.toByteArray().slice(12));
  return null;
}

function ipv6Verdict(inner: string): HostVerdict | null {
  const bare = inner.replace(/%.*$/, ""); // a zone id (`fe80::1%eth0`) names an interface, not another host
  if (!ipaddr.IPv6.isValid(bare)) return null;
  const v6 = ipaddr.IPv6.parse(bare);
  const v4 = embeddedIpv4(v6);
  return v4 ? { target: addressTarget(v4), odd: true } : { target: addressTarget(v6), odd: false };
}

function nameTarget(name: string): Target {
  if (METADATA_NAMES.has(name)) return "metadata";
  if (LOOPBACK_NAMES.has(name) || RUNTIME_HOST_NAMES.has(name) || LOOPBACK_SUFFIXES.some((s) => name.endsWith(s))) return "loopback";
  if (INTERNAL_SUFFIXES.some((s) => name.endsWith(s))) return "internal";
  const service = ADDRESS_NAME_SERVICES.find((s) => name.endsWith(s));
  return service ? speltTarget(name, service) : "public";
}

function nameVerdict(name: string): HostVerdict {
  const target = nameTarget(name);
  return { target, odd: target !== "public" && REBINDING_SERVICES.some((s) => name.endsWith(s)) };
}

/** Where a host (as written in a URL, without userinfo or port) points, as a server's URL parser reads it. */
export function judgeHost(host: string): HostVerdict | null {
  if (!host || /[@\s/\\?#]/.test(host) || (host.includes(":") && !host.startsWith("["))) return null;
  const lower = lowerAscii(host.endsWith(".") ? host.slice(0, -1) : host);
  if (lower.startsWith("[")) return ipv6Verdict(lower.slice(1, lower.endsWith("]") ? -1 : undefined));
  // The common case: a name whose last label is letters (`www.example.com`) is no address in any notation.
  if (PLAIN_NAME.test(lower)) return nameVerdict(lower);
  const plain = parseIp(lower);
  if (plain?.family === 4) return { target: addressTarget(ipaddr.IPv4.parse(lower)), odd: false };
  const numeric = NUMERIC_HOST.test(lower);
  if (!numeric && DNS_NAME.test(lower)) return nameVerdict(lower);
  // Anything else goes through WHATWG host parsing, as the server's URL library would: it folds dotless,
  // octal and hex IPv4, IDNA (full-width and enclosed characters) and percent-escapes.
  let parsed: string;
  try {
    parsed = new URL(`http://${host}/`).hostname;
  } catch {
    // 7147006462 or 0x41414141A9FEA9FE: no WHATWG address, but other parsers wrap them into one.
    return numeric && lower.length > 3 ? { target: "public", odd: true } : null;
  }
  if (parsed.startsWith("[")) return ipv6Verdict(parsed.slice(1, -1));
  if (parseIp(parsed)?.family === 4) return { target: addressTarget(ipaddr.IPv4.parse(parsed)), odd: true };
  if (!DNS_NAME.test(parsed)) return null;
  // A name folded from full-width or enclosed letters (`ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`) hides where it points; a public
  // internationalized name is just that.
  const target = nameTarget(parsed);
  return { target, odd: target !== "public" && parsed !== lower };
}

// ---- reading a URL ----

/** Schemes browsers and servers treat as hierarchical with an authority even without `//`. */
const WEB_SCHEMES = new Set(["http", "https", "ws", "wss", "ftp"]);
/** Schemes that make a server speak another protocol to the target, or read local files. */
const PROTOCOL_SCHEMES: Record<string, number> = {
  gopher: 0.9, dict: 0.9, netdoc: 0.9, jar: 0.85, tftp: 0.85, local_file: 0.9, ldap: 0.75, ldaps: 0.75, file: 0.7,
};

/**
 * Other network schemes (libcurl's, and Java's RMI): lenient clients read a host after any separator
 * there too, as for the web's (`sftp:/127.0.0.1:22`). Naming one is no finding by itself.
 */
const NETWORK_SCHEMES = new Set([
  "sftp", "scp", "ftps", "smb", "smbs", "telnet", "imap", "imaps", "pop3", "pop3s", "smtp", "smtps", "rtsp", "rtsps", "rtmp", "rtmps", "mqtt", "mqtts",
  "gophers", "rmi", "ssh", "svn", "git", "nfs", "redis", "mongodb", "mysql", "postgres", "postgresql", "amqp",
]);

interface UrlParts {
  /** Lower-cased scheme, "" for a protocol-relative URL. */
  scheme: string;
  start: number;
  /** What stood between `scheme:` and the authority: `//` is the honest form. */
  separator: string;
  userinfo: string;
  host: string;
  /** The port written after the host, or null. */
  port: number | null;
  /** Where the authority starts (after the separator). */
  at: number;
  /** End of the authority. */
  end: number;
}

function isSeparator(c: string | undefined): boolean {
  return c === "/" || c === "\\" || c === "\t" || c === "\n" || c === "\r";
}

/** The slashes and backslashes of a separator (its blanks aside). */
function slashes(separator: string): number {
  let n = 0;
  for (const c of separator) if (c === "/" || c === "\\") n++;
  return n;
}

/** Hosts have at most 253 characters: a longer run is no bare host. */
const MAX_BARE_HOST = 300;
const AUTHORITY_STOP_CODES = new Set(Array.from("/\\?# \"'<>\n\r\t", (c) => c.charCodeAt(0)));
/** Names of one label that mean something without a dot. */
const SINGLE_LABEL_NAMES = new Set(["localhost", "metadata", "instance-data", "localhost4", "localhost6", "ip6-localhost", "ipv6-localhost", "ip6-loopback"]);

/** Where a URL's authority ends: at the path, query, fragment, whitespace or a quote. */
function authorityEnd(text: string, i: number, limit = text.length): number {
  while (i < limit && !AUTHORITY_STOP_CODES.has(text.charCodeAt(i))) i++;
  return i;
}

/** The host without a trailing `:port` (digits, or none). */
function withoutPort(hostPort: string): string {
  const colon = hostPort.lastIndexOf(":");
  if (colon === -1) return hostPort;
  for (let i = colon + 1; i < hostPort.length; i++) {
    const c = hostPort.charCodeAt(i);
    if (c < 48 || c > 57) return hostPort;
  }
  return hostPort.slice(0, colon);
}

function readAuthority(text: string, scheme: string, start: number, separator: string, at: number): UrlParts {
  const end = authorityEnd(text, at);
  const authority = text.slice(at, end);
  const atSign = authority.lastIndexOf("@");
  const hostPort = authority.slice(atSign + 1);
  const host = hostPort.startsWith("[") ? hostPort.slice(0, hostPort.indexOf("]") + 1 || undefined) : withoutPort(hostPort);
  const port = /^:(\d{1,5})$/.exec(hostPort.slice(host.length));
  return { scheme, start, separator, userinfo: atSign < 0 ? "" : authority.slice(0, atSign), host, port: port ? Number(port[1]) : null, at, end };
}

/** A scheme name ending at the `:` at `colon` (read backwards), or "" when there is none. */
function schemeBefore(text: string, colon: number, floor: number): number {
  let i = colon;
  while (i > floor && i > colon - 32 && isSchemeCode(text.charCodeAt(i - 1))) i--;
  while (i < colon && !/[A-Za-z]/.test(text[i]!)) i++; // a scheme starts with a letter
  return i;
}

function isSchemeCode(c: number): boolean {
  return isAsciiLetter(c) || isAsciiDigit(c) || c === 43 || c === 45 || c === 46 || c === 95;
}

/** The URL the value starts with (after blanks and controls), if it starts like one. */
function leadingUrl(text: string): UrlParts | null {
  // A URL parser drops the controls and spaces before a URL (WHATWG's "C0 control or space").
  let s = 0;
  while (s < text.length && text.charCodeAt(s) <= 32) s++;
  let i = s;
  while (i < text.length && i - s < 32 && isSchemeCode(text.charCodeAt(i))) i++;
  if (i > s && text[i] === ":" && /[A-Za-z]/.test(text[s]!)) {
    const scheme = text.slice(s, i).toLowerCase();
    let j = i + 1;
    while (isSeparator(text[j])) j++;
    const separator = text.slice(i + 1, j);
    // Web, protocol and network schemes take an authority after any separator, as lenient URL parsers
    // read them (`http:\t127.1`); any other scheme only after a `//`. A label before a line break
    // (`Address:\r\n12 Elm St`, `Steps:\n1. Open`) is no scheme with a host.
    const known = WEB_SCHEMES.has(scheme) || Object.hasOwn(PROTOCOL_SCHEMES, scheme) || NETWORK_SCHEMES.has(scheme);
    if (known || slashes(separator) >= 2) return readAuthority(text, scheme, s, separator, j);
    return { scheme, start: s, separator, userinfo: "", host: "", port: null, at: j, end: j };
  }
  if (i > s || !isSeparator(text[s])) return null;
  let j = s;
  while (isSeparator(text[j])) j++;
  const separator = text.slice(s, j);
  // One slash starts a path; two or more (or a backslash among them) start an authority.
  if (slashes(separator) >= 2) return readAuthority(text, "", s, separator, j);
  return null;
}

/** The first `scheme://` URL inside the text at or after `from`, or null; callers go on from its end. */
function embeddedUrl(text: string, from: number): UrlParts | null {
  for (let c = text.indexOf("://", from); c >= 0; c = text.indexOf("://", c + 3)) {
    const s = schemeBefore(text, c, from);
    if (s < c) return readAuthority(text, text.slice(s, c).toLowerCase(), s, "//", c + 3);
  }
  return null;
}

// ---- SSRF ----

/** A web URL to this machine: what a fetch of it reaches that the outside cannot. */
const LOOPBACK_WEB = 0.7;
/**
 * The same in a redirect parameter (`redirect_uri=http://localhost:3000/callback`): a developer's own
 * machine as the browser's next stop (OAuth sign-ins in development), not an address the server fetches.
 */
const LOOPBACK_WEB_REDIRECT = 0.5;
/**
 * OAuth's redirect parameter: a native app (a CLI, a desktop app) signs in through the browser and is
 * sent back to a port it listens on at the user's own machine (`redirect_uri=http://127.0.0.1:53682/`,
 * RFC 8252 §7.3). The identity provider redirects the browser there and never fetches it: with a port,
 * a loopback address in it is no finding.
 */
const NATIVE_APP_REDIRECT = /^redirect_?ur[il]$/i;
/**
 * Ports of services that speak no HTTP (FTP, SSH, telnet, mail, RPC, SMB, LDAP, databases, RDP, Redis,
 * memcached): a web URL naming one on this machine or its network asks the server to reach that
 * service for the client, as SSRF probes and exploits do (`http://127.0.0.1:6379/`). The HTTP APIs on
 * a network (Elasticsearch, CouchDB, Docker's, the kubelet's) are what admin tools' data-source URLs
 * name every day: those stay internal hosts.
 */
const SERVICE_PORTS = new Set([21, 22, 23, 25, 110, 111, 135, 139, 143, 389, 445, 1433, 1521, 3306, 3389, 5432, 6379, 11211, 27017]);
/**
 * The endpoints of those HTTP APIs that hand out secrets or control, named as a path after an
 * internal host (`http://127.0.0.1:8080/actuator/env`, `http://10.96.0.1/api/v1/namespaces/x/secrets`,
 * the kubelet's `/pods`, Docker's `/containers/json` and `/images/json`, Consul's and Vault's `/v1/kv/`,
 * `/v1/sys/`, etcd's `/v2/keys`, Apache's `/server-status`, RabbitMQ's and ngrok's `/api/overview`,
 * `/api/tunnels`, CouchDB's `/_all_dbs`, Solr's, MinIO's and Nacos' admin APIs, Jenkins'
 * `/script`, under its context path too, `/jenkins/script`, but no `script.js`; a router's
 * `/cgi-bin/luci`): a data source's URL names the service, an SSRF names what it wants from it.
 */
const ADMIN_API_PATH =
  /^\/(?:actuator\/(?:env|heapdump|jolokia|gateway|shutdown|mappings|configprops|threaddump)|api\/v1\/(?:namespaces|pods|secrets|nodes)|(?:running)?pods(?![\w.-])|(?:v\d\.\d+\/)?(?:containers|images)\/json|v1\/(?:kv|agent|catalog|sys|secret)\b|v[23]\/(?:keys|kv)\b|server-(?:status|info)\b|api\/(?:overview|tunnels)\b|jolokia\b|manager\/html|_cat\/|_nodes(?![\w.-])|_cluster\/|_all_dbs\b|solr\/admin\b|minio\/admin\b|nacos\/v1\/auth\b|(?:[\w.-]+\/)?script(?:Text)?(?![\w.-])|cgi-bin\/luci\b)/i;
const EMBEDDED_WORTH_JUDGING = /^[\d[]|metadata|instance-data|[^\x00-\x7f]/i;

/**
 * `redis:7`, `postgres:16.4`, `mysql:8.0`: a name and its version, as image tags and dependency lists
 * write them. With no slash before it such a number is no address to a scheme other than a web one
 * (`http:127.1`, which browsers read as `http://127.1`, `http:0x7f.1` and `mysql://127.1` still are).
 */
const VERSION = /^\d{1,4}(?:\.\d{1,4}){0,2}$/;

/**
 * `http://redis:6379/`, `http://consul:8500/v1/kv/`: a name of one label and a port, as a container
 * network names its neighbours (by service name) and their services. A one-label name alone says
 * less: a placeholder (`http://host/`), or what a malformed link leaves after its `@`.
 */
function serviceName(url: UrlParts, verdict: HostVerdict, web: boolean): boolean {
  return web && verdict.target === "public" && !verdict.odd && url.port !== null && url.separator === "//" && /^[a-z][a-z0-9_-]*$/i.test(url.host);
}

/**
 * `File:Example.jpg`: a wiki's namespace (MediaWiki's file pages, `title=File:…`), no URL: a `file:`
 * URL names a path, after a slash (`file:/etc/passwd`, `file:///…`), a drive (`file:c:/…`) or as a
 * relative one (`file:etc/passwd`). `rest`: what follows the authority.
 */
function isNamespaceLabel(url: UrlParts, rest: string): boolean {
  return url.scheme === "file" && url.separator === "" && url.host.length > 1 && !/[\\/]/.test(rest);
}

/** `path`: what follows a leading URL's authority (its path and query), for ADMIN_API_PATH. */
function ssrfFindings(url: UrlParts, leading: boolean, out: Finding[], loopbackWeb = LOOPBACK_WEB, path = ""): void {
  const protocolStrength = Object.hasOwn(PROTOCOL_SCHEMES, url.scheme) ? PROTOCOL_SCHEMES[url.scheme] : undefined;
  const version = slashes(url.separator) === 0 && url.scheme !== "" && !WEB_SCHEMES.has(url.scheme) && VERSION.test(url.host);
  // Inside a value only metadata hosts and odd notations count: most hosts there need no closer look.
  const judged = !version && (leading || EMBEDDED_WORTH_JUDGING.test(url.host)) ? judgeHost(url.host) : null;
  const web = url.scheme === "" || WEB_SCHEMES.has(url.scheme);
  const verdict = judged && serviceName(url, judged, web) ? { ...judged, target: "internal" as const } : judged;
  const { start, end } = url;
  if (protocolStrength !== undefined && (leading || protocolStrength >= 0.85) && !isNamespaceLabel(url, path)) {
    out.push(find("ssrf", "protocol-scheme", leading ? protocolStrength : protocolStrength - 0.1, start, end));
  }
  if (!verdict) return;
  if (verdict.odd) out.push(find("ssrf", "ip-notation", 0.9, start, end));
  if (verdict.target === "metadata") out.push(find("ssrf", "metadata-host", leading ? 0.95 : 0.85, start, end));
  else if (!leading) return; // a loopback or LAN URL inside prose or code is too often honest
  else if (verdict.target === "loopback") {
    const strength = web ? loopbackWeb : 0.85;
    if (strength > 0) out.push(find("ssrf", "loopback-host", strength, start, end));
  }
  else if (verdict.target === "internal") out.push(find("ssrf", "internal-host", web ? 0.6 : 0.8, start, end));
  // Other schemes (gopher, dict) are strong already for what they can send.
  const inside = verdict.target === "loopback" || verdict.target === "internal";
  if (web && inside && ((url.port !== null && SERVICE_PORTS.has(url.port)) || (path !== "" && ADMIN_API_PATH.test(path)))) {
    out.push(find("ssrf", "internal-service", 0.85, start, end));
  }
}

/**
 * `http://a.example &@b.example# @127.0.0.1/`: an authority that stops at a space, `#` or backslash for
 * one URL parser while another reads on to the last `@` before the path, so that a check and the
 * fetch see different hosts. Returns that far host, or null. An email address in a query
 * (`?to=a@b.example`) is after a `?`, not this.
 */
function farHost(text: string, url: UrlParts): { host: string; end: number } | null {
  const stop = text[url.end];
  if (!url.host || stop === undefined || stop === "/" || stop === "?") return null;
  let pathStart = url.end;
  const limit = Math.min(text.length, url.at + MAX_BARE_HOST);
  while (pathStart < limit && text[pathStart] !== "/" && text[pathStart] !== "?") pathStart++;
  const atSign = text.lastIndexOf("@", pathStart - 1);
  if (atSign < url.end || text.slice(url.end, atSign).includes("=")) return null;
  const host = withoutPort(text.slice(atSign + 1, authorityEnd(text, atSign + 1, pathStart)));
  return looksLikeHost(host) ? { host, end: atSign + 1 + host.length } : null;
}

/** Strong when the far host is internal, or an address spelled in a notation only parsers fold (`0330.072.0326.0316`), as ip-notation is. */
function ambiguousAuthority(text: string, url: UrlParts, out: Finding[]): void {
  const far = farHost(text, url);
  if (!far) return;
  const { target, odd } = judgeHost(far.host)!;
  out.push(find("ssrf", "ambiguous-authority", target === "public" && !odd ? 0.5 : 0.9, url.start, far.end));
}

/** Java's `url:` prefix (`url:file:///etc/passwd`): `new URL()` drops it, filters that check the scheme do not. */
function wrappedUrl(text: string, url: UrlParts, out: Finding[]): void {
  if (url.scheme !== "url" || url.separator !== "") return;
  const inner = leadingUrl(text.slice(url.end));
  if (!inner || inner.scheme === "") return;
  const shifted = { ...inner, start: inner.start + url.end, at: inner.at + url.end, end: inner.end + url.end };
  out.push(find("ssrf", "wrapped-url", 0.8, url.start, shifted.end));
  ssrfFindings(shifted, true, out);
}

/** A media type with its parameters (`text/plain;charset=utf-8;base64`) is shorter than this. */
const MAX_MEDIA_TYPE = 128;
/** Media types an honest `data:` URL in a request carries: images, sound, video, fonts. */
const MEDIA_DATA_URL = /^data:\s*(?:image|audio|video|font)\//i;

/**
 * Values a server reads as a document to include or fetch: a `data:` URL of text or code (`data:text/plain;base64,...`,
 * which PHP's `include` and `file_get_contents` accept; `text/html` is the HTML analyzer's), and a remote
 * text file (`http://evil.example/shell.txt`), the classic remote inclusion, strong when `?`s after it turn
 * whatever the application appends into a query.
 */
function inclusionFindings(text: string, url: UrlParts, out: Finding[]): void {
  if (url.scheme === "data") {
    const head = text.slice(url.start, url.start + MAX_MEDIA_TYPE);
    const comma = head.indexOf(",");
    if (!MEDIA_DATA_URL.test(head) && !/^data:\s*text\/html/i.test(head)) out.push(find("rfi", "data-url", 0.5, url.start, comma < 0 ? url.end : url.start + comma));
    return;
  }
  if (!WEB_SCHEMES.has(url.scheme) || !url.host) return;
  let pathEnd = url.end;
  while (pathEnd < text.length && !QUERY_OR_SPACE.has(text.charCodeAt(pathEnd))) pathEnd++;
  if (text.charCodeAt(pathEnd - 4) !== 46 || !INCLUDED_TEXT_FILE.test(text.slice(url.end, pathEnd))) return;
  const rest = text.slice(pathEnd).trimEnd();
  if (rest === "") out.push(find("rfi", "remote-text-file", 0.6, url.start, pathEnd));
  else if (/^\?+$/.test(rest)) out.push(find("rfi", "remote-text-file", 0.85, url.start, pathEnd + rest.length));
}

/** A file a PHP `include` runs as code but an honest link seldom names: the attacker's script served as text. */
const INCLUDED_TEXT_FILE = /\/[^/]+\.(?:txt|inc)$/i;
const QUERY_OR_SPACE = new Set(Array.from("?# \t\n\r", (c) => c.charCodeAt(0)));

/** A leading URL to a literal public address (`http://203.0.113.7/`, `http://[2001:db8::1]/`): sites name their hosts. */
function publicAddressFinding(url: UrlParts, out: Finding[]): void {
  if ((url.scheme === "" || WEB_SCHEMES.has(url.scheme)) && addressHost(url.host) && judgeHost(url.host)?.target === "public") {
    out.push(find("ssrf", "address-host", 0.5, url.start, url.end));
  }
}

/** A path that names something after an address (`127.0.0.1/owa/`); `10.0.0.0/8` is a network's prefix length. */
const NAMED_PATH = /\/+[A-Za-z_~.]/y;

function namesPathAt(text: string, at: number): boolean {
  NAMED_PATH.lastIndex = at;
  return NAMED_PATH.test(text);
}

/**
 * A value that is a host and nothing like a sentence: `localhost/`, `169.254.169.254/latest`,
 * `0x7f.1:80`, `host.docker.internal/`. A bare host without a path or port (`server=localhost`) says
 * too little, and a bare LAN or IPv6 address is what telemetry reports about the client's own network,
 * unless a named path follows it (`127.0.0.1/owa/`).
 */
function bareHostFindings(text: string, out: Finding[]): void {
  if (text.indexOf("/") < 0 && text.indexOf(":") < 0) return;
  const end = authorityEnd(text, 0, Math.min(text.length, MAX_BARE_HOST));
  const rest = text[end];
  if (end === 0 || end === MAX_BARE_HOST || (rest !== "/" && !/:\d+$/.test(text.slice(0, end)))) return;
  // A backend named with its account (`Administrator@localhost:444/ecp/`, Exchange's routing cookie).
  const authority = text.slice(0, end);
  const host = withoutPort(authority.slice(authority.lastIndexOf("@") + 1));
  // A number with a dot or two before a slash is a rating or a version (`10.5/10`), not an address;
  // hex parts or four octal ones are no accident.
  if (NUMERIC_HOST.test(host) && !parseIp(host) && !/0x|^0\d*\.\d+\.\d+\.\d+$/i.test(host)) return;
  if (!host.includes(".") && !host.startsWith("0x") && !SINGLE_LABEL_NAMES.has(host.toLowerCase())) return;
  const verdict = judgeHost(host);
  if (!verdict) return;
  if (verdict.target === "metadata") out.push(find("ssrf", "metadata-host", 0.85, 0, end));
  else if (verdict.odd && verdict.target !== "public") out.push(find("ssrf", "ip-notation", 0.8, 0, end));
  else if (verdict.target !== "public" && rest === "/" && (!parseIp(host) || namesPathAt(text, end))) out.push(find("ssrf", `${verdict.target}-host`, 0.6, 0, end));
}

// ---- open redirect ----

/** Parameter names that say the value is where the user is sent next. */
const REDIRECT_NAMES = new Set(["next", "goto", "dest", "destination", "continue", "return", "returnto", "forward", "callback", "redir", "redirect", "relaystate", "rurl", "back"]);
const REDIRECT_WORDS = ["redir", "return", "callback", "continue", "goto", "forward", "next", "success", "cancel", "fail", "done", "logout", "login", "back", "dest", "target"];
/** Names that often hold a redirect target but as often any URL at all (a beacon's page address). */
const URL_NAMES = new Set(["url", "uri", "u", "r", "to", "out", "go", "target", "location", "link", "jump", "view", "service"]);

/** Parameter names repeat across requests: their weights are remembered (a bounded map, cleared when full). */
const nameWeights = new Map<string, 0 | 1 | 2>();
const MAX_REMEMBERED_NAMES = 4096;

function redirectNameWeight(name: string): 0 | 1 | 2 {
  let weight = nameWeights.get(name);
  if (weight === undefined) {
    if (nameWeights.size >= MAX_REMEMBERED_NAMES) nameWeights.clear();
    nameWeights.set(name, (weight = nameWeightOf(name)));
  }
  return weight;
}

/** How much a parameter's name says its value is a redirect target: 2 plainly, 1 maybe, 0 not. */
function nameWeightOf(name: string): 0 | 1 | 2 {
  const n = lowerAscii(name).replace(/[^a-z0-9]/g, "");
  if (REDIRECT_NAMES.has(n)) return 2;
  if (REDIRECT_WORDS.some((w) => n.includes(w)) && /(?:url|uri|to|path|page|redirect|redir|next)$/.test(n)) return 2;
  return URL_NAMES.has(n) ? 1 : 0;
}

/** A parameter that plainly names where the user is sent next (`next`, `redirect_uri`, `returnTo`): its value goes into `Location`. */
export function isRedirectName(name: string): boolean {
  return redirectNameWeight(name) === 2;
}

/** `https:\/\/host`: a JSON-escaped `//`, which browsers read as written. */
const JSON_ESCAPED_SLASHES = "\\/\\/";

/** A host as a browser would go to it: a dotted name, an address, or a name that means the host itself. */
function looksLikeHost(host: string): boolean {
  return (host.includes(".") || host.startsWith("[") || SINGLE_LABEL_NAMES.has(lowerAscii(host))) && judgeHost(host) !== null;
}

/** A dot that ends a sentence right after a URL: ASCII, ideographic, full-width or half-width. */
const TRAILING_DOT = /[.\u3002\uff0e\uff61]$/;
/** What a host may not hold once a browser has decoded its escapes: with one, it goes nowhere. */
const DECODED_DELIMITER = /[/\\?#@\x00-\x20\x7f]/;
/** What follows the last such delimiter. */
const AFTER_LAST_DELIMITER = /[^/\\?#@\x00-\x20\x7f]*$/;
/** Tabs, line breaks and other controls, which browsers drop anywhere in a URL. */
const CONTROL = /[\x00-\x20\x7f]/;

const isAsciiText = (s: string) => !/[^\x00-\x7f]/.test(s);

/**
 * A host whose text a browser folds into other ASCII characters: percent-escapes (`evil%2ecom`), control
 * characters, full-width or enclosed letters and dots (`ｅｖｉｌ。com`), when what the browser goes to is
 * then a plain ASCII name or address: that is the name a validator did not see. An internationalized
 * name that becomes punycode (`例子.测试`) is honest, and so is prose running on after a URL, which
 * folds into a label of punycode or a comma (`example.com。谢谢`, `example.com，http://...`) or only
 * ends the sentence (`example.com。`, `example.com%E3%80%82` escaped once more). An escaped delimiter,
 * which the browser refuses in a host, counts only as a second decoding reads it (below).
 */
function foldedHost(host: string): boolean {
  if (CONTROL.test(host)) return true;
  const escaped = host.indexOf("%");
  let name = host.replace(TRAILING_DOT, "");
  if (escaped !== -1) {
    const decoded = percentDecode(host);
    // A `%` that starts no escape (`https:/%example.com/`) folds nothing: a browser refuses the host.
    if (decoded === host) return false;
    if (DECODED_DELIMITER.test(decoded)) return decodedTwice(host, decoded);
    name = decoded.replace(TRAILING_DOT, "");
    if (name === host.slice(0, escaped)) return false;
    if (isAsciiText(name)) return true;
  } else if (isAsciiText(name)) return false;
  let parsed: string;
  try {
    parsed = new URL(`http://${name}/`).hostname;
  } catch {
    return false;
  }
  return DNS_NAME.test(parsed) && !parsed.split(".").some((label) => label.startsWith("xn--"));
}

/** A dotted name (after the dot or `@` that joins it): what a validator reading the raw authority takes its end for. */
const JOINED_NAME = /^[.@]{0,4}[a-z0-9_-]+(?:\.[a-z0-9_-]+)+$/i;
/** A page's or a file's extension, which ends a partly escaped link's path (`%2Fnews%2Findex.html`), not a host. */
const FILE_EXTENSION = /\.(?:s?html?|php\d?|aspx?|jspx?|do|action|cgi|js|css|json|xml|txt|pdf|png|jpe?g|gif|svg|webp|ico|zip)$/i;

/**
 * A host with an escaped delimiter (`evil.example%2F.good.example`, `evil%2Eexample%2F%2F`): the browser
 * refuses it as written, but an application that decodes the target once more before it redirects
 * sends the browser to the name before the delimiter, while a validator that does not decode read one
 * host ending in the name after it. It counts when a name comes before the delimiter and that name was
 * itself escaped or another name ends the host: a partly escaped link (`example.com%2Fa%2Fb`,
 * `example.com%2Fnews%2Findex.html`) has a path after its host, and a traversal (`%2e%2e%2fetc`) no
 * name before its slash.
 */
function decodedTwice(host: string, decoded: string): boolean {
  const head = decoded.slice(0, decoded.search(DECODED_DELIMITER));
  if (!looksLikeHost(head)) return false;
  if (!host.startsWith(head)) return true;
  const tail = AFTER_LAST_DELIMITER.exec(decoded)![0];
  return JOINED_NAME.test(tail) && !FILE_EXTENSION.test(tail);
}

/**
 * `https://evil.example\.good.example`: a browser reads the backslash as a slash, so the host ends
 * before it, while a validator that reads the raw text sees one host ending in the trusted name.
 */
const BACKSLASH_JOINED = /^\\+\.[a-z0-9_-]+(?:\.[a-z0-9_-]+)+(?=$|[/?#:\\])/i;

/**
 * The spellings a validator and a browser read differently, so that the browser leaves for another
 * host than the one checked: slashes, backslashes and control characters instead of `//` (`/\host`,
 * `https:/\host`, `https:///host`, `https:host`), a backslash before a dotted name that the host seems to
 * go on with (above), userinfo (`good.example@evil.example`; honest
 * redirect targets carry none with a dot), a second URL as the authority (`//https://host`), an
 * authority parsers end in different places (above), and a host the browser folds (above).
 */
function confusingSpelling(text: string, url: UrlParts, withFarHost: boolean): boolean {
  if (foldedHost(url.host) || url.userinfo.includes(".") || (withFarHost && farHost(text, url))) return true;
  if (text.charCodeAt(url.end) === 92 && url.host && BACKSLASH_JOINED.test(text.slice(url.end, url.end + MAX_BARE_HOST))) return true;
  if (url.scheme === "" && WEB_SCHEMES.has(lowerAscii(url.host.replace(/:$/, ""))) && text.startsWith("//", url.end)) return true;
  const honest = url.separator === "//" || (url.scheme !== "" && url.separator === JSON_ESCAPED_SLASHES);
  // `https:///static/app.js` is a template with an empty host: the browser's "host" has no dot.
  return !honest && looksLikeHost(url.host);
}

/**
 * Userinfo that is itself a host name (`www.good.example@evil.example`, `good.com@evil.example`): written
 * so that a reader, or a check that the URL starts with the trusted name, takes it for the host. A user
 * name with a dot (`john.doe@`, `wei.li@`) ends in none of the top-level domains listed.
 */
const USERINFO_HOST = /^(?:www\.[\w-]+(?:\.[\w-]+)*|(?:[\w-]+\.)+(?:com|net|org|edu|gov|mil|int|io|co|info|biz|app|dev|cloud|xyz|online|site|tld|example|test|local|localhost|internal|uk|de|fr|ru|cn|jp|br|in|au|ca|nl|it|es|ch|se|pl|us|eu))(?::[^@]*)?$/i;
/** A host name's most characters (RFC 1035): a longer userinfo names no host, and is not matched at all. */
const MAX_HOST_NAME = 253;

function userinfoNamesHost(userinfo: string): boolean {
  return userinfo.length <= MAX_HOST_NAME && USERINFO_HOST.test(userinfo);
}

/** What makes a site's name its own country's (`example.com` → `example.com.au`, `.co.uk`, `.de`): the site, not another domain. */
const COUNTRY_SUFFIX = /^(?:(?:co|com|net|org|gov|edu|ac|or|ne|go)\.)?[a-z]{2}\.?$/;

/**
 * Services that name a host after the site it serves, by design: a storage bucket
 * (`example.com.s3.amazonaws.com`, S3's static sites), a CDN's or a proxy's name for it.
 */
const HOSTING_SUFFIX = /\.(?:amazonaws\.com|cloudfront\.net|azureedge\.net|akamaized\.net|edgekey\.net|edgesuite\.net|fastly\.net|cdn\.cloudflare\.net|ampproject\.org|translate\.goog|googleusercontent\.com|herokudns\.com)$/;

/**
 * Whether a foreign host is written to pass for the site `own`: a host that starts with the site's
 * name and goes on, its last label joined to more (`app.example.org.evil.example`,
 * `app.example.org-login.evil.example`). The site's subdomains, the site under a country's domain
 * (`app.example.org.au`) and a hosting service's name for it are the site's; a site known by its
 * address has no name to mimic.
 */
function mimicsHost(host: string, own: string): boolean {
  if (!host.startsWith(own) || host.length === own.length) return false;
  const next = host[own.length];
  if (next !== "." && next !== "-") return false;
  return !(next === "." && COUNTRY_SUFFIX.test(host.slice(own.length + 1))) && !HOSTING_SUFFIX.test(host);
}

/**
 * The request-scope rule: a redirect target written to pass an allow-list that checks for the site's
 * name: a host that starts with it, or with the site's own domain, and goes on (mimicsHost), or, in a redirect parameter, a foreign host with the
 * site's name in its path (`https://evil.example/app.example.org`, `https://evil.example/https://app.example.org/`).
 * A link to another site whose query carries the site's address (a sign-in service's `?return=`) is not this.
 * On the value, the URL as evidence.
 */
export function ownHostMimicked(req: Pick<HttpRequest, "host">, leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  const own = hostName(req.host);
  if (!own.includes(".") || parseIp(own) !== null) return [];
  // The site's own domain too (`shop.example.com` → `example.com`), unless that is a suffix (`co.uk`):
  // a host under it is the site's, one that starts with either and goes on mimics it.
  const dot = own.indexOf(".");
  const parent = own.indexOf(".", dot + 1) !== -1 && !COUNTRY_SUFFIX.test(own.slice(dot + 1)) ? own.slice(dot + 1) : null;
  const site = parent ?? own;
  const names = parent ? [own, parent] : [own];
  const out: { at: number; finding: Finding }[] = [];
  for (let at = 0; at < leaves.length; at++) {
    const { text, location, kind, name } = leaves[at]!;
    if (location === "header" || kind !== "value" || text.indexOf("//") === -1) continue;
    const url = leadingUrl(text);
    if (!url?.host) continue;
    const host = withoutPort(lowerAscii(url.host));
    if (host === site || host.endsWith(`.${site}`)) continue;
    // A path that names the site is a profile's or a share link's too (`github.com/org/app.example.org`): only a redirect target's counts.
    const inPath = () => redirectNameWeight(name) > 0 && lowerAscii(text.slice(url.end).split(/[?#]/, 1)[0]!).includes(own);
    if (names.some((siteName) => mimicsHost(host, siteName)) || inPath()) out.push({ at, finding: find("open-redirect", "own-host-mimicked", 0.85, url.start, url.end) });
  }
  return out;
}

/** The SSRF findings of a host inside the server's network. */
const INTERNAL_HOST_RULES = new Set(["ssrf.loopback-host", "ssrf.internal-host", "ssrf.metadata-host"]);

/** A literal IPv4 or IPv6 address: no site sends its users to one. */
function addressHost(host: string): boolean {
  return host.startsWith("[") || parseIp(host)?.family === 4;
}

/**
 * A `..` segment in a URL's path written so that a prefix check misses it: escaped (`/%2e%2e`, `%2f..`),
 * or after an empty segment (`host//..`, what `%2f..` becomes once decoded). An honest link carries its
 * path normalized.
 */
const HIDDEN_CLIMB = /(?:\/|%2f|\\|%5c)(?:\.|%2e){2}(?=$|[/\\?#]|%2f|%5c)/i;

function hiddenClimb(text: string, url: UrlParts): boolean {
  // Two dots in a row, or an escape, or there is no climb at all.
  if (text.indexOf("..", url.end) === -1 && text.indexOf("%", url.end) === -1) return false;
  const path = text.slice(url.end);
  const climb = HIDDEN_CLIMB.exec(path);
  if (!climb) return false;
  return /[%\\]/.test(climb[0]) || (climb.index > 0 && (path[climb.index - 1] === "/" || path[climb.index - 1] === "\\"));
}

/**
 * Three words after `///` and nothing else: a what3words location (`///filled.count.soap`), no host,
 * unless the last word is one of the top-level domains most hosts end in (`///evil.example.com`).
 */
const THREE_WORDS =
  /^(?!www\.)[a-z]{2,}\.[a-z]{2,}\.(?!(?:com|net|org|io|co|info|biz|xyz|me|app|dev|ru|cn|de|uk|jp|fr|br|in|us|eu|tk|ml|ga|cf|gq|top|shop|site|online|store|club|live|example|test|local|localhost|internal)$)[a-z]{2,}$/;

/** A what3words address as a whole value (a map's or a delivery form's field); a redirect parameter still reads it as a host. */
function threeWordAddress(text: string, url: UrlParts): boolean {
  return url.scheme === "" && url.start === 0 && url.separator === "///" && url.end === text.length && THREE_WORDS.test(url.host);
}

/**
 * An absolute URL is what single sign-on and payment flows put in redirect parameters every day: weak,
 * and nothing at all in other parameters. A spelling that sends the browser to another host than the
 * one a validator reads is the attack in any parameter (no application needs one), strongest where
 * the name says the value is a redirect target; a hidden climb in the path is moderate; an address
 * instead of a name is moderate in redirect parameters. `wrapped`: the URL sits behind a slash
 * (`/https:/\\evil.example`), which only an application that strips it follows. `plainCounts`: an
 * honest spelling counts at all (a parameter's, not a cookie's or a header's).
 */
function redirectFindings(text: string, url: UrlParts, wrapped: boolean, nameWeight: 0 | 1 | 2, plainCounts: boolean, out: Finding[]): void {
  if (!url.host) return;
  if (url.scheme !== "" && !WEB_SCHEMES.has(url.scheme)) return;
  const plain = nameWeight === 2;
  const lessIfWrapped = wrapped ? 0.05 : 0;
  // Outside redirect parameters an ambiguous authority is the SSRF reading's (above).
  if (confusingSpelling(text, url, nameWeight > 0) && !(nameWeight === 0 && threeWordAddress(text, url))) {
    // `\\fileserver.corp.example\share` is also how Windows names a file share.
    const share = nameWeight === 0 && url.scheme === "" && url.separator === "\\\\";
    out.push(find("open-redirect", "obfuscated-url", (plain || userinfoNamesHost(url.userinfo) ? 0.85 : share ? 0.5 : 0.7) - lessIfWrapped, url.start, url.end));
  } else if (hiddenClimb(text, url)) {
    out.push(find("open-redirect", "hidden-climb", (plain ? 0.8 : 0.6) - lessIfWrapped, url.start, url.end));
  } else if (nameWeight === 0 || !plainCounts) {
    return;
  } else if (wrapped) {
    out.push(find("open-redirect", "path-wrapped-url", plain ? 0.45 : 0.35, url.start, url.end));
  } else if (addressHost(url.host)) {
    // An internal address (loopback, private, metadata) is the SSRF reading's: a browser sent there reaches nothing of the site's.
    if (!out.some((f) => INTERNAL_HOST_RULES.has(f.rule))) out.push(find("open-redirect", "address-host", plain ? 0.6 : 0.5, url.start, url.end));
  } else {
    out.push(find("open-redirect", url.scheme ? "absolute-url" : "protocol-relative", plain ? 0.45 : 0.35, url.start, url.end));
  }
}

/**
 * `/https://evil.example`: a path that is a URL, which naive "starts with /" checks let through. A
 * browser stays on the site with it; only an application that strips the slash leaves.
 */
function pathWrappedUrl(text: string): UrlParts | null {
  if (text[0] !== "/" || !/[A-Za-z]/.test(text[1] ?? "") || text.indexOf(":") < 0) return null;
  const inner = leadingUrl(text.slice(1));
  return inner && WEB_SCHEMES.has(inner.scheme) ? { ...inner, start: 0, at: inner.at + 1, end: inner.end + 1 } : null;
}

/**
 * `%68%74%74%70%3a%2f%2f...`: a URL with the letters of its scheme escaped, which no client needs to do
 * and a validator matching `http` misses. (The decompose stage judges the decoded URL too, as any URL.)
 */
function escapedSchemeUrl(text: string): UrlParts | null {
  const first = hexByteAt(text, 1);
  if (text[0] !== "%" || !isAsciiLetter(first)) return null;
  const url = leadingUrl(percentDecode(text));
  return url && WEB_SCHEMES.has(url.scheme) && looksLikeHost(url.host) ? { ...url, start: 0, end: text.length } : null;
}

/** `<>//evil.example`, `/<>/evil.example`: empty markup that a sanitizer deletes, leaving `//evil.example`. */
const STRIPPED_MARKUP = /^[/\\]?(?:<>)+/;

function strippedMarkupUrl(text: string): UrlParts | null {
  const markup = STRIPPED_MARKUP.exec(text);
  if (!markup) return null;
  const slash = markup[0][0] === "<" ? "" : markup[0][0]!;
  const url = leadingUrl(slash + text.slice(markup[0].length));
  return url && url.scheme === "" && looksLikeHost(url.host) ? { ...url, start: 0, end: url.end + markup[0].length - slash.length } : null;
}

/**
 * Whether the value holds a character every construct here is written with: `:` or a slash (a URL, a
 * host with a port or path), `%` (an escaped scheme) or `<` (stripped markup). Most values hold none.
 */
function mayHoldUrl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 || c === 47 || c === 92 || c === 37 || c === 60) return true;
  }
  return false;
}

/**
 * Headers that HTTP, WebDAV, browsers, proxies, htmx and the cloud platforms' APIs define, by name or
 * prefix: their values are the protocol's, a client library's or a proxy's. Any other header
 * (`X-Api-Data`, `X-Return-To`, `Token`) is one an application defined to read a value from, as it
 * reads a parameter.
 */
const PLATFORM_HEADER =
  /^header\.(?:accept(?:-[a-z]+)?|access-control-[a-z-]+|authorization|cache-control|connection|content-[a-z]+|cookie|date|destination|dnt|expect|forwarded|host|if-[a-z-]+|keep-alive|origin|pragma|priority|proxy-[a-z]+|purpose|range|referer|sec-[a-z0-9-]+|te|trailer|transfer-encoding|upgrade(?:-insecure-requests)?|user-agent|via|warning|x-forwarded-[a-z]+|x-real-ip|x-requested-with|x-client-ip|true-client-ip|cf-connecting-ip|x-original-[a-z]+|x-rewrite-url|hx-[a-z-]+|x-amz-[a-z0-9-]+|x-ms-[a-z0-9-]+|x-goog-[a-z0-9-]+|ce-[a-z0-9-]+)(?:$|[.~])/;

/** `header.referer` and `header.origin`, and the leaves the decompose stage makes from them. */
const REFERRER_PATH = /^header\.(?:referer|origin)(?:$|[.~])/;

/**
 * An identity claim of a signed token's payload (the second base64 part of `header.payload.signature`,
 * read as JSON): `iss`, `aud`, `azp` and `sub` name the identity provider and the services, which
 * inside a company are internal hosts (`https://keycloak.corp.internal`), and are compared, not
 * fetched. Claims that are addresses to fetch (`request_uri`, `jwks_uri`, `logo_uri`) and the header's
 * `jku` and `x5u` stay judged.
 */
const TOKEN_CLAIM_PATH = /~base64#2~json\.(?:iss|aud|azp|sub)(?:\[\d+\])?$/;

/** A routed host list read this far: proxies append a host each, and no chain is longer. */
const MAX_ROUTED_HOSTS = 16;
const MAX_ROUTED_HOSTS_TEXT = 4096;

/** A routed host written as a URL: its authority (the `@` rule above reads a userinfo). */
const ROUTED_URL = /^[a-z][a-z0-9+.-]{0,15}:\/\/([^/?#\s]*)/i;
/** The host named after an `@`. */
const HOST_AFTER = /^[^\s,;/?#]*/;

/** Headers whose value is the host a proxy that routes by it connects to (`Host`, `X-Forwarded-Host`, `Forwarded`'s `host=`, ...). */
const ROUTED_HOST_PATH = /^header\.(?:host|x-forwarded-host|x-host|x-original-host|forwarded-host|forwarded)$/;
const FORWARDED_HOST = /((?:^|[;,])\s*host\s*=\s*"?)([^;,"\s]+)/gi;

/**
 * A routed host that is the cloud's metadata service, or an address in a notation no client writes
 * (`Host: 169.254.169.254`, `X-Forwarded-Host: 0x7f000001`): a proxy that connects to the host a request
 * names would fetch it. Loopback and LAN addresses are what health checks and internal clients send.
 */
function routedHostFindings(text: string, forwarded: boolean): Finding[] {
  const out: Finding[] = [];
  const judge = (host: string, start: number) => {
    const verdict = judgeHost(host);
    if (verdict?.target === "metadata") out.push(find("ssrf", "metadata-host", 0.9, start, start + host.length));
    else if (verdict?.odd && verdict.target !== "public") out.push(find("ssrf", "ip-notation", 0.85, start, start + host.length));
  };
  const read = text.slice(0, MAX_ROUTED_HOSTS_TEXT);
  // `Host: shop.example:@evil.example`: no host holds an `@`. An application that builds its links
  // from the header (a password reset's) writes `https://shop.example:@evil.example/...`, whose host is
  // the one after the `@`.
  const at = read.indexOf("@");
  if (at >= 0) out.push(find("open-redirect", "host-userinfo", 0.85, 0, Math.min(read.length, at + 1 + (HOST_AFTER.exec(read.slice(at + 1))?.[0].length ?? 0))));
  if (forwarded) {
    // RFC 7239: `Forwarded: for=...;host=169.254.169.254;proto=http`, a `host=` a hop.
    let hops = 0;
    for (const m of read.matchAll(FORWARDED_HOST)) if (hops++ < MAX_ROUTED_HOSTS) judge(withoutPort(m[2]!), m.index + m[1]!.length);
    return out;
  }
  let from = 0;
  for (const part of read.split(",", MAX_ROUTED_HOSTS)) {
    // `X-Forwarded-Host: http://169.254.169.254/`: a URL where a host belongs, for an application that
    // builds its own URL from the header and fetches it.
    const trimmed = part.trim();
    const url = ROUTED_URL.exec(trimmed);
    const offset = from + part.length - part.trimStart().length;
    judge(withoutPort(url ? url[1]! : trimmed), url ? offset + url[0].length - url[1]!.length : offset);
    from += part.length + 1;
  }
  return out;
}

/**
 * A redirect target that starts with `@` or `.` and then a host (`@evil.example`, `.evil.example/x`):
 * an application that puts its own origin before the target (`"https://shop.example" + next`) sends the
 * browser to `https://shop.example@evil.example` (userinfo, then the attacker's host) or to a name under
 * the attacker's domain. An honest target is a path or a whole URL.
 */
const JOINED_TARGET = /^[@.]((?:[a-z0-9-]{1,63}\.){1,8}[a-z]{2,63}\.?|\d{1,3}(?:\.\d{1,3}){3})(?=[/?#:\\]|$)/i;

export const ssrfAnalyzer: Analyzer = {
  name: "ssrf",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string" || text.length < 3) return [];
    if (input.location === "header" && ROUTED_HOST_PATH.test(input.path)) return routedHostFindings(text, input.path === "header.forwarded");
    // A parameter's or a cookie's name says whether it holds a redirect target; so does a custom
    // header's (`X-Return-To`), which an application reads as one.
    const named = input.kind === "value" && input.location !== "path";
    const nameWeight = named ? redirectNameWeight(input.name) : 0;
    const redirectHeader = input.location === "header" && nameWeight === 2;
    const joined = nameWeight === 2 ? JOINED_TARGET.exec(text) : null;
    if (joined && looksLikeHost(joined[1]!)) return [find("open-redirect", "joined-host", 0.85, 0, joined[0].length)];
    if (!mayHoldUrl(text) || (input.location === "header" && REFERRER_PATH.test(input.path))) return [];
    const out: Finding[] = [];
    const leading = leadingUrl(text);
    // A value of its own: a parameter, a cookie or a route's path segment, not a header's text.
    const ownValue = input.location !== "header" && input.kind === "value";
    // An application's own header carries what a parameter does: a spelling that fools a validator;
    // and the parameters of a URL in it are parameters, a script to include among them. Its own value
    // names its resources by URL (`X-Feed-Url: https://example.com/feed.txt`). Not a header the
    // protocol or a platform defines.
    const applicationHeader = input.kind === "value" && input.location === "header" && !PLATFORM_HEADER.test(input.path);
    const parameter = ownValue || (applicationHeader && input.path.includes("~url-in-value.query."));
    if (leading) {
      const loopbackWeb = nameWeight !== 2 ? LOOPBACK_WEB : leading.port !== null && NATIVE_APP_REDIRECT.test(input.name) ? 0 : LOOPBACK_WEB_REDIRECT;
      ssrfFindings(leading, true, out, loopbackWeb, text.slice(leading.end, leading.end + 96));
      ambiguousAuthority(text, leading, out);
      wrappedUrl(text, leading, out);
      if (parameter) inclusionFindings(text, leading, out);
      if (ownValue) publicAddressFinding(leading, out);
    } else if (ownValue) bareHostFindings(text, out);
    for (let url = embeddedUrl(text, leading ? leading.end : 0); url; url = embeddedUrl(text, Math.max(url.end, url.start + 1))) {
      ssrfFindings(url, false, out);
    }
    // A spelling that fools a validator is the attack in any value an application may redirect to;
    // a plain URL only in a parameter whose name says it is one.
    if (ownValue || applicationHeader || redirectHeader) {
      const wrapped = leading ? null : pathWrappedUrl(text);
      const url = leading ?? wrapped;
      const escaped = url ? null : (escapedSchemeUrl(text) ?? strippedMarkupUrl(text));
      // A plain URL is weak evidence in a redirect parameter only: a cookie or a header that holds one
      // was most likely set by the site itself.
      if (url) redirectFindings(text, url, wrapped !== null, nameWeight, input.location === "query" || input.location === "body", out);
      else if (escaped) out.push(find("open-redirect", "obfuscated-url", nameWeight === 2 ? 0.85 : 0.7, 0, text.length));
    }
    return TOKEN_CLAIM_PATH.test(input.path) ? out.filter((f) => f.rule !== "ssrf.loopback-host" && f.rule !== "ssrf.internal-host") : out;
  },
};
