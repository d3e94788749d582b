/**
 * Audits an nginx configuration for the mistakes that matter to a site behind Moat, in the spirit of
 * gixy: version disclosure, weak TLS, missing security headers, the add_header inheritance trap, alias
 * traversal and unlimited request bodies. One result per check; every finding names the file:line of
 * the directives at fault.
 */
import type { CheckStatus } from "../../core/enums.ts";
import { findDirectives, type Directive, type NginxConfig } from "./nginx-config.ts";

export interface AuditLocation {
  file: string;
  line: number;
}

export interface AuditResult {
  id: string;
  name: string;
  status: CheckStatus;
  message: string;
  details?: string;
  locations?: AuditLocation[];
}

interface Finding {
  status: "warning" | "fail";
  text: string;
  at: Directive[];
}

/** What one check found, and what to say when it found nothing. */
interface CheckOutcome {
  findings: Finding[];
  passMessage: string;
}

interface Check {
  id: string;
  name: string;
  run(config: NginxConfig): CheckOutcome;
}

/** One result per check of a parsed configuration (parseNginxConfig: what nginx rejects is not audited). */
export function auditNginxConfig(config: NginxConfig): AuditResult[] {
  return CHECKS.map((check) => {
    const { findings, passMessage } = check.run(config);
    return resultOf(check, findings, passMessage);
  });
}

function resultOf(check: Check, findings: Finding[], passMessage: string): AuditResult {
  const base = { id: check.id, name: check.name };
  // Failures first, so that the message is about the worst problem.
  const sorted = [...findings].sort((a, b) => (a.status === b.status ? 0 : a.status === "fail" ? -1 : 1));
  const [worst] = sorted;
  if (!worst) return { ...base, status: "pass", message: passMessage };
  const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more)` : "";
  return {
    ...base,
    status: worst.status,
    message: worst.text + more,
    ...(sorted.length > 1 && { details: sorted.map((finding) => `${finding.status}: ${finding.text}`).join("\n") }),
    locations: uniqueLocations(sorted.flatMap((finding) => finding.at)),
  };
}

function uniqueLocations(directives: Directive[]): AuditLocation[] {
  const seen = new Map<string, AuditLocation>();
  for (const { file, line } of directives) seen.set(`${file}:${line}`, { file, line });
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------------
// Walking the tree

const where = (directive: Directive) => `${directive.file}:${directive.line}`;

function childDirectives(block: Directive, name: string): Directive[] {
  return block.children?.filter((child) => child.name === name) ?? [];
}

function childBlocks(block: Directive, name: string): Directive[] {
  return childDirectives(block, name).filter((child) => child.children !== undefined);
}

/** Every directive named `name`, at any depth. */
function httpBlocks(config: NginxConfig): Directive[] {
  return config.directives.filter((directive) => directive.name === "http" && directive.children);
}

function serversOf(blocks: Directive[]): Directive[] {
  return blocks.flatMap((block) => childBlocks(block, "server"));
}

/** Locations at any depth below a server, in file order. */
function locationsBelow(block: Directive): Directive[] {
  return childBlocks(block, "location").flatMap((location) => [location, ...locationsBelow(location)]);
}

function serverLabel(server: Directive): string {
  const names = childDirectives(server, "server_name").flatMap((directive) => directive.args);
  const listens = childDirectives(server, "listen").map((directive) => directive.args[0] ?? "");
  const label = names[0] ?? (listens.length > 0 ? `listening on ${listens.join(", ")}` : "without server_name");
  return `server ${label} (${where(server)})`;
}

function blockLabel(block: Directive): string {
  if (block.name === "server") return serverLabel(block);
  return `${block.name} ${block.args.join(" ")} (${where(block)})`;
}

/** `listen … ssl` (or QUIC, which is TLS 1.3 only) or the old `ssl on;` in the server or http block. */
function isTlsServer(server: Directive, enclosing: Directive): boolean {
  const listensTls = childDirectives(server, "listen").some((listen) => listen.args.includes("ssl") || listen.args.includes("quic"));
  const sslOn = [server, enclosing].some((block) => childDirectives(block, "ssl").some((ssl) => ssl.args[0] === "on"));
  return listensTls || sslOn;
}

// ---------------------------------------------------------------------------------------------------
// server-tokens

function checkServerTokens(config: NginxConfig): CheckOutcome {
  const [http] = httpBlocks(config);
  if (!http) return { findings: [], passMessage: "no http block, so no Server header to hide" };
  const findings: Finding[] = [];
  const atHttp = childDirectives(http, "server_tokens").find((directive) => directive.args[0] === "off");
  if (!atHttp) {
    findings.push({
      status: "warning",
      text: `server_tokens off is not set in the http block (${where(http)}): nginx shows its version in the Server header and error pages`,
      at: [http],
    });
  }
  for (const directive of findDirectives(http.children ?? [], "server_tokens")) {
    if (directive.args[0] === "off") continue;
    findings.push({ status: "warning", text: `server_tokens ${directive.args.join(" ")} at ${where(directive)} discloses the nginx version`, at: [directive] });
  }
  return { findings, passMessage: `server_tokens off at http level (${atHttp ? where(atHttp) : ""}) and not turned back on anywhere` };
}

// ---------------------------------------------------------------------------------------------------
// tls-protocols

const OBSOLETE_PROTOCOLS = ["sslv2", "sslv3", "tlsv1", "tlsv1.1"];

function checkTlsProtocols(config: NginxConfig): CheckOutcome {
  const findings: Finding[] = [];
  const declared = findDirectives(config.directives, "ssl_protocols");
  for (const directive of declared) {
    const obsolete = directive.args.filter((protocol) => OBSOLETE_PROTOCOLS.includes(protocol.toLowerCase()));
    if (obsolete.length > 0) findings.push({ status: "fail", text: `ssl_protocols at ${where(directive)} enables ${obsolete.join(", ")}`, at: [directive] });
  }
  // ssl_protocols is inherited from http (or stream) into servers; either level counts as explicit.
  const tlsServers = config.directives
    .filter((block) => (block.name === "http" || block.name === "stream") && block.children)
    .flatMap((block) => childBlocks(block, "server").filter((server) => isTlsServer(server, block)).map((server) => ({ server, block })));
  for (const { server, block } of tlsServers) {
    if (childDirectives(server, "ssl_protocols").length > 0 || childDirectives(block, "ssl_protocols").length > 0) continue;
    findings.push({
      status: "warning",
      text: `TLS ${serverLabel(server)} has no ssl_protocols: the default depends on the nginx version (TLSv1 and TLSv1.1 stay enabled before 1.23.4)`,
      at: [server],
    });
  }
  const passMessage =
    declared.length === 0
      ? "no TLS server and no ssl_protocols"
      : `${declared.length} ssl_protocols directive(s) enable only TLSv1.2 or later, and every TLS server (${tlsServers.length}) has one`;
  return { findings, passMessage };
}

// ---------------------------------------------------------------------------------------------------
// tls-ciphers

/**
 * OpenSSL cipher-string words (aliases or parts of suite names such as DES-CBC3-SHA) that select
 * broken or unauthenticated suites.
 */
const WEAK_CIPHER_WORDS = new Set([
  "rc4", "rc2", "des", "3des", "md5", "null", "enull", "anull", "adh", "aecdh",
  "exp", "export", "export40", "export56", "exp1024", "low", "medium", "complementofall", "complementofdefault",
]);

/** Broad aliases that also bring in weak suites unless those are excluded with "!" or "-". */
const ALIAS_WEAK_PARTS: Record<string, string[]> = { all: ["aNULL", "3DES"], high: ["aNULL"] };

/** The weak parts a cipher string enables, e.g. "RC4" or "HIGH (aNULL not excluded)". */
export function weakCiphers(spec: string): string[] {
  const elements = spec.split(/[:, ]+/).filter(Boolean);
  const excluded = new Set(elements.filter((element) => /^[!-]/.test(element)).map((element) => element.slice(1).toLowerCase()));
  const weak: string[] = [];
  for (const element of elements) {
    // "!" and "-" remove suites, "+" only reorders suites already enabled.
    if (/^[!+-]/.test(element)) continue;
    if (element.toUpperCase() === "@SECLEVEL=0") weak.push(`${element} (allows every weak algorithm)`);
    if (element.split(/[+-]/).some((word) => WEAK_CIPHER_WORDS.has(word.toLowerCase()))) weak.push(element);
    const parts = ALIAS_WEAK_PARTS[element.toLowerCase()] ?? [];
    const kept = parts.filter((part) => !excluded.has(part.toLowerCase()));
    if (kept.length > 0) weak.push(`${element} (${kept.join(", ")} not excluded)`);
  }
  return weak;
}

function checkTlsCiphers(config: NginxConfig): CheckOutcome {
  const declared = findDirectives(config.directives, "ssl_ciphers");
  const findings: Finding[] = declared.flatMap((directive): Finding[] => {
    const weak = weakCiphers(directive.args.join(" "));
    return weak.length === 0 ? [] : [{ status: "fail", text: `ssl_ciphers at ${where(directive)} enables weak suites: ${weak.join(", ")}`, at: [directive] }];
  });
  const passMessage =
    declared.length === 0
      ? "no ssl_ciphers: nginx's default HIGH:!aNULL:!MD5 applies"
      : `${declared.length} ssl_ciphers directive(s) enable no RC4, DES/3DES, MD5, NULL, EXPORT or anonymous suites`;
  return { findings, passMessage };
}

// ---------------------------------------------------------------------------------------------------
// Header inheritance, shared by security-headers and add-header-inheritance

type InheritMode = "on" | "off" | "merge";

/** The add_header set in force in one block (http, server, location or if in location). */
interface HeaderScope {
  block: Directive;
  own: Directive[];
  /** What the enclosing block has in force. */
  inherited: Directive[];
  effective: Directive[];
  mode: InheritMode;
  nested: HeaderScope[];
}

/**
 * add_header values come from the enclosing level only when the block has none of its own, unless
 * add_header_inherit (nginx 1.29.3, itself inherited) says "merge" (append) or "off" (never).
 */
function headerScope(block: Directive, parent: HeaderScope | null): HeaderScope {
  const own = childDirectives(block, "add_header");
  const declaredMode = childDirectives(block, "add_header_inherit")[0]?.args[0];
  const mode: InheritMode = declaredMode === "merge" || declaredMode === "off" || declaredMode === "on" ? declaredMode : (parent?.mode ?? "on");
  const inherited = parent?.effective ?? [];
  const effective = mode === "merge" ? [...own, ...inherited] : mode === "off" || own.length > 0 ? own : inherited;
  const scope: HeaderScope = { block, own, inherited, effective, mode, nested: [] };
  scope.nested = nestedHeaderBlocks(block).map((child) => headerScope(child, scope));
  return scope;
}

function nestedHeaderBlocks(block: Directive): Directive[] {
  if (block.name === "http") return childBlocks(block, "server");
  if (block.name === "server") return childBlocks(block, "location");
  return [...childBlocks(block, "location"), ...childBlocks(block, "if")];
}

function scopesBelow(scope: HeaderScope): HeaderScope[] {
  return [scope, ...scope.nested.flatMap(scopesBelow)];
}

const headerName = (addHeader: Directive) => (addHeader.args[0] ?? "").toLowerCase();

// ---------------------------------------------------------------------------------------------------
// security-headers

interface RequiredHeader {
  name: string;
  tlsOnly: boolean;
  isSent(headers: Directive[]): boolean;
}

const has = (name: string) => (headers: Directive[]) => headers.some((header) => headerName(header) === name);

const REQUIRED_HEADERS: RequiredHeader[] = [
  { name: "X-Content-Type-Options", tlsOnly: false, isSent: has("x-content-type-options") },
  {
    name: "X-Frame-Options (or CSP frame-ancestors)",
    tlsOnly: false,
    isSent: (headers) =>
      has("x-frame-options")(headers) ||
      headers.some((header) => headerName(header) === "content-security-policy" && /frame-ancestors/i.test(header.args[1] ?? "")),
  },
  { name: "Content-Security-Policy", tlsOnly: false, isSent: has("content-security-policy") },
  { name: "Referrer-Policy", tlsOnly: false, isSent: has("referrer-policy") },
  { name: "Strict-Transport-Security", tlsOnly: true, isSent: has("strict-transport-security") },
];

/** `return 301 …`, `return https://…` or `return 444`: no page is served, so page headers do not matter. */
function onlyRedirects(block: Directive): boolean {
  return childDirectives(block, "return").some((directive) => {
    const first = directive.args[0] ?? "";
    return /^(301|302|303|307|308|444)$/.test(first) || !/^\d+$/.test(first);
  });
}

/** `location /` (or `^~ /`) catches every request that no other location takes. */
function catchesAll(location: Directive): boolean {
  const [first, second] = location.args;
  return (first === "/" && second === undefined) || (first === "^~" && second === "/");
}

/**
 * The blocks whose headers a server's responses carry: its locations (and ifs in them), plus the
 * server level itself when some request can match no location.
 */
function responseScopes(serverScope: HeaderScope): HeaderScope[] {
  const server = serverScope.block;
  if (onlyRedirects(server)) return [];
  const reachesServerLevel = !childBlocks(server, "location").some(catchesAll);
  return scopesBelow(serverScope).filter((scope) => (scope === serverScope ? reachesServerLevel : !onlyRedirects(scope.block)));
}

function checkSecurityHeaders(config: NginxConfig): CheckOutcome {
  const findings: Finding[] = [];
  let servers = 0;
  for (const http of httpBlocks(config)) {
    for (const serverScope of headerScope(http, null).nested) {
      servers++;
      const tls = isTlsServer(serverScope.block, http);
      const required = REQUIRED_HEADERS.filter((header) => tls || !header.tlsOnly);
      const gaps = responseScopes(serverScope)
        .map((scope) => ({ scope, missing: required.filter((header) => !header.isSent(scope.effective)).map((header) => header.name) }))
        .filter((gap) => gap.missing.length > 0);
      if (gaps.length === 0) continue;
      // Blocks lacking the same headers are named together, so a server with many bare locations reads well.
      const blocksByMissing = Map.groupBy(gaps, (gap) => gap.missing.join(", "));
      const described = [...blocksByMissing].map(([missing, group]) => {
        const blocks = group.map(({ scope }) => (scope === serverScope ? "the server level" : blockLabel(scope.block)));
        return `${missing} missing in ${blocks.join(", ")}`;
      });
      findings.push({
        status: "warning",
        text: `${serverLabel(serverScope.block)}: ${described.join("; ")} (unless the upstream sends them)`,
        at: gaps.map((gap) => gap.scope.block),
      });
    }
  }
  const names = REQUIRED_HEADERS.map((header) => header.name.split(" ")[0]).join(", ");
  const passMessage = servers === 0 ? "no http server" : `every server (${servers}) adds ${names} (the last on TLS servers) wherever it serves pages`;
  return { findings, passMessage };
}

// ---------------------------------------------------------------------------------------------------
// add-header-inheritance

function checkAddHeaderInheritance(config: NginxConfig): CheckOutcome {
  const findings: Finding[] = [];
  for (const http of httpBlocks(config)) {
    for (const scope of scopesBelow(headerScope(http, null))) {
      // With "off" the loss is deliberate, with "merge" there is none.
      const [firstOwn] = scope.own;
      if (scope.mode !== "on" || !firstOwn) continue;
      const ownNames = new Set(scope.own.map(headerName));
      const lost = scope.inherited.filter((header) => !ownNames.has(headerName(header)));
      if (lost.length === 0) continue;
      const lostNames = [...new Set(lost.map((header) => header.args[0] ?? ""))];
      findings.push({
        status: "warning",
        text: `${blockLabel(scope.block)} has its own add_header (${where(firstOwn)}), so ${lostNames.join(", ")} from the enclosing level (${lost.map(where).join(", ")}) are not sent there`,
        at: [firstOwn],
      });
    }
  }
  return { findings, passMessage: "no block with its own add_header drops headers added at an enclosing level" };
}

// ---------------------------------------------------------------------------------------------------
// alias-traversal

/** `location [modifier] path`, with nginx's glued forms `=/x`, `~regex`, `~*regex`. */
function locationMatch(location: Directive): { modifier: string; path: string } {
  const [first = "", second] = location.args;
  if (second !== undefined) return { modifier: first, path: second };
  const glued = /^(=|~\*|~)(.+)$/.exec(first);
  if (glued) return { modifier: glued[1]!, path: glued[2]! };
  return { modifier: first.startsWith("@") ? "@" : "", path: first };
}

function checkAliasTraversal(config: NginxConfig): CheckOutcome {
  const findings: Finding[] = [];
  const locations = serversOf(httpBlocks(config)).flatMap(locationsBelow);
  let checked = 0;
  for (const location of locations) {
    const { modifier, path } = locationMatch(location);
    // Prefix locations only: a regex location's alias is built from captures, an exact one maps one URI.
    if (modifier !== "" && modifier !== "^~") continue;
    for (const alias of childDirectives(location, "alias")) {
      checked++;
      const target = alias.args[0] ?? "";
      if (!path.endsWith("/") && target.endsWith("/")) {
        findings.push({
          status: "fail",
          text: `location ${path} (${where(location)}) with alias ${target} (${where(alias)}): ${path}../ maps to ${target}../, exposing the parent directory (path traversal)`,
          at: [location, alias],
        });
      } else if (path.endsWith("/") && !target.endsWith("/")) {
        findings.push({
          status: "warning",
          text: `location ${path} (${where(location)}) with alias ${target} (${where(alias)}): ${path}x maps to ${target}x, exposing siblings whose names start with ${target.split("/").at(-1)}`,
          at: [location, alias],
        });
      }
    }
  }
  return { findings, passMessage: checked === 0 ? "no alias in a prefix location" : `${checked} alias(es) in prefix locations agree with the location on the trailing slash` };
}

// ---------------------------------------------------------------------------------------------------
// client-max-body-size

function checkClientMaxBodySize(config: NginxConfig): CheckOutcome {
  const declared = findDirectives(config.directives, "client_max_body_size");
  const findings: Finding[] = declared
    .filter((directive) => /^0+[kmg]?$/i.test(directive.args[0] ?? ""))
    .map((directive) => ({ status: "warning", text: `client_max_body_size 0 at ${where(directive)} lets requests carry bodies of any size`, at: [directive] }));
  if (declared.length === 0) {
    findings.push({
      status: "warning",
      text: "client_max_body_size is not set: nginx's default of 1m applies, which may be too small or larger than the site needs",
      // Where it belongs: the http block.
      at: httpBlocks(config),
    });
  }
  const values = declared.map((directive) => `${directive.args.join(" ")} (${where(directive)})`).join(", ");
  return { findings, passMessage: `client_max_body_size is set and bounded: ${values}` };
}

const CHECKS: Check[] = [
  { id: "server-tokens", name: "Server version disclosure", run: checkServerTokens },
  { id: "tls-protocols", name: "TLS protocol versions", run: checkTlsProtocols },
  { id: "tls-ciphers", name: "TLS cipher suites", run: checkTlsCiphers },
  { id: "security-headers", name: "Security headers", run: checkSecurityHeaders },
  { id: "add-header-inheritance", name: "add_header inheritance", run: checkAddHeaderInheritance },
  { id: "alias-traversal", name: "alias path traversal", run: checkAliasTraversal },
  { id: "client-max-body-size", name: "Request body size limit", run: checkClientMaxBodySize },
];
