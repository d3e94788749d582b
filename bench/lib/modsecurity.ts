/**
 * nginx + ModSecurity v3 + OWASP CRS (Debian packages) at a chosen paranoia level, for benchmarks.
 *
 * The front server runs ModSecurity and proxies to a second server block on another loopback port that
 * answers `return 200`. The proxy matters: a `return` in the ModSecurity location ends the request in
 * nginx's rewrite phase, before the connector reads the body and runs phase 2, where CRS adds up the
 * anomaly score and blocks (rule 949110). With the proxy, every request goes through phases 1 and 2.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../cli/exit-codes.ts";
import { BenchError } from "./run.ts";
import { NGINX_BIN, freePort, startNginx, type NginxInstance } from "../../test/helpers/nginx.ts";
import { tempDir } from "../../test/helpers/tmp.ts";

const PACKAGES = ["nginx", "libnginx-mod-http-modsecurity", "modsecurity-crs"] as const;

const MODULE_DIRS = ["/usr/lib/nginx/modules", "/usr/share/nginx/modules"];
const MODULE_FILE = "ngx_http_modsecurity_module.so";
const CRS_RULES = "/usr/share/modsecurity-crs/rules";
const CRS_SETUP_CANDIDATES = [
  "/etc/modsecurity/crs/crs-setup.conf",
  "/usr/share/modsecurity-crs/crs-setup.conf.example",
  "/etc/modsecurity/crs/crs-setup.conf.example",
];
const CRS_BEFORE = "/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf";
const CRS_AFTER = "/etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf";

/** Thrown when ModSecurity/CRS is missing and cannot be installed; the message says what to do. */
class ModSecurityUnavailable extends BenchError {
  constructor(message: string) {
    super(message, EXIT.unavailable);
  }
}

/** Path of the dynamic module, or null. Also follows `load_module` lines in modules-available. */
function findModule(): string | null {
  for (const dir of MODULE_DIRS) {
    const p = join(dir, MODULE_FILE);
    if (existsSync(p)) return p;
  }
  const available = "/usr/share/nginx/modules-available";
  if (existsSync(available)) {
    for (const f of readdirSync(available)) {
      const m = /load_module\s+(\S*ngx_http_modsecurity_module\.so)\s*;/.exec(readFileSync(join(available, f), "utf8"));
      if (!m) continue;
      const p = m[1]!.startsWith("/") ? m[1]! : join("/usr/share/nginx", m[1]!);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

function findCrsSetup(): string | null {
  return CRS_SETUP_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function missing(): string[] {
  const out: string[] = [];
  if (!NGINX_BIN) out.push("nginx");
  if (!findModule()) out.push("libnginx-mod-http-modsecurity");
  if (!existsSync(CRS_RULES) || !findCrsSetup()) out.push("modsecurity-crs");
  return out;
}

function aptGet(args: string[], log: (msg: string) => void): boolean {
  log(`running apt-get ${args.join(" ")}`);
  const r = Bun.spawnSync(["apt-get", ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (!r.success) log(`apt-get ${args[0]} failed:\n${(r.stdout.toString() + r.stderr.toString()).trim().split("\n").slice(-8).join("\n")}`);
  return r.success;
}

/**
 * Makes sure nginx, the ModSecurity connector and CRS are installed, installing the Debian packages
 * with apt-get when running as root. Throws ModSecurityUnavailable otherwise.
 */
export function ensureModSecurity(log: (msg: string) => void): void {
  const lacking = missing();
  if (!lacking.length) return;
  const command = `apt-get install -y ${PACKAGES.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new ModSecurityUnavailable(`missing ${lacking.join(", ")}; installing it needs root. Run as root, or first: sudo ${command}`);
  }
  if (!Bun.which("apt-get")) throw new ModSecurityUnavailable(`missing ${lacking.join(", ")} and apt-get is not available (Debian packages ${PACKAGES.join(", ")})`);
  log(`missing ${lacking.join(", ")}: installing the Debian packages`);
  const args = ["install", "-y", "--no-install-recommends", ...PACKAGES];
  if (!aptGet(args, log)) {
    // Stale package lists are the usual cause: refresh once and retry.
    if (!aptGet(["update"], log) || !aptGet(args, log)) throw new ModSecurityUnavailable(`could not install ${lacking.join(", ")} (${command} failed, see above)`);
  }
  const still = missing();
  if (still.length) throw new ModSecurityUnavailable(`still missing after apt-get install: ${still.join(", ")}`);
}

export interface CrsInfo {
  /** e.g. "3.3.4", from the rules' `ver:'OWASP_CRS/x.y.z'` tags. */
  version: string;
  rulesDir: string;
  setupFile: string;
  /** CRS 4 names (`tx.blocking_paranoia_level` / `tx.detection_paranoia_level`) rather than CRS 3's. */
  crs4Names: boolean;
  module: string;
}

export function crsInfo(): CrsInfo {
  const setupFile = findCrsSetup();
  const module = findModule();
  if (!setupFile || !module || !existsSync(CRS_RULES)) throw new ModSecurityUnavailable(`CRS or the ModSecurity nginx module is missing (${missing().join(", ")})`);
  const init = readFileSync(join(CRS_RULES, "REQUEST-901-INITIALIZATION.conf"), "utf8");
  const version = /ver:'OWASP_CRS\/([^']+)'/.exec(init)?.[1] ?? "unknown";
  return { version, rulesDir: CRS_RULES, setupFile, crs4Names: init.includes("blocking_paranoia_level"), module };
}

/** Installed version of a Debian package, or "?". */
export function debVersion(pkg: string): string {
  const r = Bun.spawnSync(["dpkg-query", "-W", "-f=${Version}", pkg], { stdout: "pipe", stderr: "pipe" });
  return r.success ? r.stdout.toString().trim() || "?" : "?";
}

export function nginxVersion(): string {
  if (!NGINX_BIN) return "not installed";
  const r = Bun.spawnSync([NGINX_BIN, "-v"], { stdout: "pipe", stderr: "pipe" });
  return (r.stderr.toString() + r.stdout.toString()).trim().replace(/^nginx version:\s*nginx\//, "");
}

/** The ModSecurity settings the bench uses (the engine part of modsecurity.conf-recommended, blocking on). */
const ENGINE_SETTINGS = `
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecResponseBodyAccess Off
SecArgumentSeparator &
SecCookieFormat 0
SecAuditEngine Off
SecRule REQUEST_HEADERS:Content-Type "(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
`;

/** The rules file: engine settings, the installed crs-setup, the paranoia level, then CRS in its usual order. */
function rulesFor(level: number, info: CrsInfo): string {
  const vars = info.crs4Names
    ? [`tx.blocking_paranoia_level=${level}`, `tx.detection_paranoia_level=${level}`]
    : [`tx.paranoia_level=${level}`, `tx.executing_paranoia_level=${level}`];
  const lines = [
    ENGINE_SETTINGS.trim(),
    `Include ${info.setupFile}`,
    // Rule 900000 is the (commented-out) paranoia-level rule of crs-setup.conf; the inbound anomaly
    // threshold is left at the CRS default (5).
    `SecAction "id:900000,phase:1,nolog,pass,t:none,${vars.map((v) => `setvar:${v}`).join(",")}"`,
  ];
  if (existsSync(CRS_BEFORE)) lines.push(`Include ${CRS_BEFORE}`);
  lines.push(`Include ${info.rulesDir}/*.conf`);
  if (existsSync(CRS_AFTER)) lines.push(`Include ${CRS_AFTER}`);
  return lines.join("\n") + "\n";
}

export interface CrsServer {
  nginx: NginxInstance;
  port: number;
  level: number;
  stop(): Promise<void>;
}

/** Starts nginx with ModSecurity and CRS at `level` (1–4) on a free loopback port. */
export async function startCrsNginx(level: number, info: CrsInfo): Promise<CrsServer> {
  // The rules file has to exist before nginx -t, but the prefix is made by startNginx: write the rules
  // to a file of our own first and point at it.
  const rulesPath = join(tmpRulesDir(), `crs-pl${level}.conf`);
  writeFileSync(rulesPath, rulesFor(level, info));
  // A TCP upstream rather than a unix socket: when nginx runs as root its workers run as nobody and
  // cannot reach a socket inside the private (0700) prefix.
  const upstream = await freePort();
  const http = `
  access_log off;
  server {
    listen 127.0.0.1:{{PORT}} default_server;
    server_name localhost;
    modsecurity on;
    modsecurity_rules_file ${rulesPath};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_set_header Host $http_host;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  server {
    listen 127.0.0.1:${upstream};
    server_name upstream;
    modsecurity off;
    location / { return 200; }
  }
`;
  const nginx = await startNginx(http, { main: `load_module ${info.module};` });
  return { nginx, port: nginx.port, level, stop: () => nginx.stop() };
}

let rulesDir: string | null = null;
function tmpRulesDir(): string {
  rulesDir ??= tempDir("moat-crs-rules-");
  return rulesDir;
}
