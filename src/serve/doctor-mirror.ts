/**
 * `moat doctor`'s checks of the mirror path (assets/deploy/nginx/mirror.conf): nginx copies requests
 * to Moat's /mirror and passes the client's Authorization on, the access log Moat follows carries
 * $request_id (without it a copy and its log line cannot be joined, and each request is stored
 * twice), and copies are arriving.
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/schema.ts";
import { localUrlHost } from "../config/exposure.ts";
import { findDirectives, parseNginxConfig, type Directive } from "../services/security/nginx-config.ts";
import type { DoctorFinding } from "./doctor-finding.ts";

const CHECK = "mirror";
const SNIPPET = "assets/deploy/nginx/mirror.conf";

/** Where a directive is, for a person. */
const at = (d: Directive) => `${d.file}:${d.line}`;

/** The nginx side: a `mirror` whose location proxies to Moat's /mirror, and the log formats of that file. */
async function checkNginxSide(config: Config): Promise<{ installed: boolean; findings: DoctorFinding[] }> {
  const path = config.security.nginx_conf;
  if (!path || !existsSync(path)) return { installed: false, findings: [{ check: CHECK, status: "warn", message: `cannot look for the snippet: security.nginx_conf (${path || "empty"}) is not a file` }] };
  let directives: Directive[];
  try {
    directives = (await parseNginxConfig(path)).directives;
  } catch (e) {
    return { installed: false, findings: [{ check: CHECK, status: "warn", message: `cannot read the nginx configuration: ${(e as Error).message}` }] };
  }
  const toMoat = findDirectives(directives, "location").filter((loc) => (loc.children ?? []).some((d) => d.name === "proxy_pass" && /\/mirror$/.test(d.args[0] ?? "")));
  const targets = new Set(toMoat.map((loc) => loc.args.at(-1)));
  const mirrors = findDirectives(directives, "mirror").filter((d) => targets.has(d.args[0]));
  if (!mirrors.length) return { installed: false, findings: [{ check: CHECK, status: "warn", message: `no \`mirror\` to Moat's /mirror in ${path} and its includes: install ${SNIPPET} to judge request bodies` }] };
  const findings: DoctorFinding[] = [{ check: CHECK, status: "ok", message: `nginx copies requests to Moat (${mirrors.map(at).join(", ")})` }];
  // A snippet from before the client's Authorization was passed on: tokens and Basic credentials go unjudged.
  const authorization = toMoat.some((loc) => (loc.children ?? []).some((d) => d.name === "proxy_set_header" && d.args[0]?.toLowerCase() === "x-original-authorization"));
  if (!authorization) findings.push({ check: CHECK, status: "warn", message: `the location that copies to Moat (${toMoat.map(at).join(", ")}) does not pass X-Original-Authorization: the client's tokens and Basic credentials are not judged (add the \`map\` and the \`proxy_set_header X-Original-Authorization\` line of ${SNIPPET})` });
  const bodies = findDirectives(directives, "mirror_request_body").filter((d) => d.args[0] === "off");
  if (bodies.length) findings.push({ check: CHECK, status: "warn", message: `mirror_request_body off at ${bodies.map(at).join(", ")}: the copies carry no body there` });
  const formats = findDirectives(directives, "log_format");
  const withId = formats.filter((d) => d.args.slice(1).join(" ").includes("$request_id"));
  if (!withId.length) findings.push({ check: CHECK, status: "fail", message: `no log_format in ${path} carries $request_id: copies and log lines cannot be joined, and each request is stored twice (see ${SNIPPET})` });
  return { installed: true, findings };
}

/** Moat's side: the format it follows carries the request id. */
function checkMoatSide(config: Config): DoctorFinding[] {
  const { format, log_format } = config.ingest;
  if (format === "json") return []; // a JSON log carries whatever fields nginx writes: request_id is read when present
  if (format === "nginx" && log_format.includes("$request_id")) return [{ check: CHECK, status: "ok", message: "ingest.log_format carries $request_id: copies are joined to their log lines" }];
  return [{ check: CHECK, status: "fail", message: `ingest.format is ${format}${format === "nginx" ? " but ingest.log_format has no $request_id" : ""}: set ingest.format = "nginx" and ingest.log_format to the snippet's format (with $request_id), or each mirrored request is stored twice` }];
}

/** Whether a running moat serve here has received copies (its /health says). */
async function checkArrivals(config: Config, fetchHealth: (url: string) => Promise<unknown>): Promise<DoctorFinding & { received: number }> {
  const host = localUrlHost(config.server.host);
  let health: { mirror?: { received: number; refused: number; last_copy_at: number | null } };
  try {
    health = (await fetchHealth(`http://${host}:${config.server.port}/health`)) as typeof health;
  } catch {
    return { check: CHECK, status: "warn", message: `no moat serve answers on ${host}:${config.server.port}: start it to see whether copies arrive`, received: 0 };
  }
  const m = health.mirror;
  if (!m) return { check: CHECK, status: "warn", message: "the running moat serve does not take mirrored copies (mirror.enabled = false there)", received: 0 };
  if (!m.received) return { check: CHECK, status: "warn", message: `no mirrored copy has arrived since moat serve started: is the snippet installed and nginx reloaded, and does its upstream name the mirror listener (${config.mirror.host}:${config.mirror.port})?${m.refused ? ` ${m.refused} requests to the listener were refused: see moat serve's log` : ""}`, received: 0 };
  return { check: CHECK, status: "ok", message: `${m.received} copies received since moat serve started, the last at ${new Date(m.last_copy_at!).toISOString()}`, received: m.received };
}

/** The whole mirror path when it is in use (the snippet installed or copies arriving); one warning when it is not. */
export async function checkMirror(config: Config, fetchHealth: (url: string) => Promise<unknown>): Promise<DoctorFinding[]> {
  if (!config.mirror.enabled) return [];
  const nginx = await checkNginxSide(config);
  const { received, ...arrivals } = await checkArrivals(config, fetchHealth);
  if (!nginx.installed && !received) return nginx.findings;
  return [...nginx.findings, ...checkMoatSide(config), arrivals];
}
