/**
 * Scanning tools: a User-Agent that names a known attack or reconnaissance tool as one of its product
 * tokens (`sqlmap/1.8`, `Nikto`, `Mozilla/5.0 zgrab/0.x`; never a substring of another word), and
 * request paths that probe for files sites do not serve (backups of scripts, VCS metadata, admin
 * consoles). A probe path is weak evidence on purpose: whether a site serves `/server-status` or
 * `/phpmyadmin/` is the site profile's to say, and ordinary paths (`/cgi-bin/x.cgi`) say nothing.
 * A host of an out-of-band testing service, in any field, is a scanner's blind payload.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { ASPNET_FILE } from "./path.ts";
import { finding, lowerAscii } from "./text.ts";

/** Product names of attack and scanning tools, lower-case, as they appear as User-Agent tokens. */
const TOOLS = new Set(
  `sqlmap nikto nmap masscan zgrab zmap nuclei wpscan dirbuster gobuster ffuf wfuzz feroxbuster dirb dirsearch acunetix netsparker
  invicti burpsuite burp w3af openvas nessus arachni skipfish whatweb havij jaeles commix xsstrike nosqlmap sqlninja paros
  webinspect appscan zmeu morfeus jorgee grabber nikto2 wapiti vega zaproxy owasp-zap httprint bbqsql fimap brutus hydra
  metasploit msfconsole webshag uniscan grendel-scan netlab360 projectdiscovery interactsh`.split(/\s+/).filter(Boolean),
);
/** Multi-word tool names and those spelled with separators. */
const TOOL_PHRASES = /fuzz faster u fool|nmap scripting engine|owasp zap|\bzap\/\d|burp collaborator|\bnuclei\b|\(nikto\//i;

function userAgent(s: string): Finding[] {
  const phrase = TOOL_PHRASES.exec(s);
  if (phrase) return [finding("scanner", "scanner.user-agent", 0.95, phrase.index, phrase.index + phrase[0].length)];
  const lower = lowerAscii(s);
  for (const m of lower.matchAll(/[a-z][a-z0-9-]*[a-z0-9]/g)) {
    if (TOOLS.has(m[0])) return [finding("scanner", "scanner.user-agent", 0.95, m.index, m.index + m[0].length)];
  }
  return [];
}

/** Probe paths, lower-case, with how much each says (weak: the site profile knows what the site serves). */
const PROBES: { re: RegExp; strength: number }[] = [
  // Backups and editor leftovers of scripts and configs: `index.php.bak`, `config.php~`, `.wp-config.php.swp`.
  { re: /\.(?:php\d?|asp|aspx|jsp|cgi|pl|py|inc|conf|config|ini|env|yml|yaml|json|xml)(?:\.(?:bak|old|orig|save|swp|swo|tmp|backup|copy|dist|1)|~)$/, strength: 0.7 },
  { re: /\/(?:backup|backups|dump|db|database|site|www|wwwroot|htdocs)\.(?:sql|tar|tgz|zip|rar|7z)(?:\.gz)?$|\.sql(?:\.gz|\.zip)?$/, strength: 0.6 },
  // Version-control and environment files; developer tools' credentials (registry tokens, cluster keys,
  // an automation server's encryption key); MCP servers with their API keys, in any tool's hidden folder
  // (`.cursor/mcp.json`, `.roo/mcp.json`, `.codeium/windsurf/mcp_config.json`).
  { re: /\/\.(?:git|svn|hg|bzr)\/|\/\.(?:env|ds_store|htpasswd)(?:\.\w+)?$|\/\.(?:aws|ssh|kube|docker|cursor|n8n)\/|\/\.(?:git-credentials|npmrc|pypirc|netrc|s3cfg|mcp\.json)$|\/\.vscode\/sftp\.json$|\/\.[\w-]+\/(?:[\w-]+\/)*mcp(?:_config)?\.json$/, strength: 0.7 },
  // Admin consoles and status pages of servers and frameworks.
  { re: /\/(?:phpmyadmin|pma|myadmin|mysqladmin|adminer)(?:[\d.-]*)(?:\/|\.php$|$)/, strength: 0.6 },
  { re: /\/(?:server-status|server-info)$|\/actuator\/(?:env|heapdump|configprops|mappings|jolokia|gateway)|\/jolokia\/|\/_profiler\/phpinfo|\/phpinfo\.php$|\/(?:info|test|i)\.php$/, strength: 0.6 },
  // Diagnostics that leak requests, stack traces and secrets: ASP.NET's error and trace handlers, Go's
  // profiler, Magento's and WordPress's configuration and debug log.
  { re: /\/(?:elmah|trace)\.axd(?:\/|$)|\/debug\/pprof(?:\/|$)|\/app\/etc\/(?:local\.xml|env\.php)$|\/wp-content\/debug\.log$/, strength: 0.6 },
  { re: /\/wp-config\.php$|\/configuration\.php$|\/config\.inc\.php$|\/vendor\/phpunit\/|\/eval-stdin\.php$|\/hnap1\/?$|\/boaform\/|\/cgi-bin\/(?:test-cgi|php\d?|printenv)$/, strength: 0.7 },
  { re: /\/(?:web-inf|meta-inf)\//, strength: 0.6 },
  // ASP.NET's private directories, with the files it keeps there (the path analyzer's ASPNET_FILE).
  { re: new RegExp(String.raw`\/(?:app_data|app_code)\/(?:[^/]+\/)*[^/]+` + ASPNET_FILE.source), strength: 0.6 },
  { re: /\/(?:manager\/html|solr\/admin|console\/login|jmx-console|web-console|invoker\/jmxinvokerservlet|axis2?\/)/, strength: 0.5 },
];

function probePath(s: string): Finding[] {
  const lower = lowerAscii(s);
  let best: Finding | null = null;
  for (const p of PROBES) {
    const m = p.re.exec(lower);
    if (m && (!best || p.strength > best.strength)) best = finding("scanner", "scanner.probe-path", p.strength, m.index, m.index + m[0].length);
  }
  return best ? [best] : [];
}

/**
 * Out-of-band testing services (OAST): a scanner's blind payload names a host under one of these, a
 * label of its own in front (`c0ffee.oastify.com`), so that a lookup or a fetch of it proves the
 * injection ran (Burp Collaborator, ProjectDiscovery's interactsh, Acunetix and Invicti, DNS logs). Only
 * testers send them, whatever the field. The service's name alone (`scripts/interact.sh`) is none.
 */
const OAST_SERVICE = /\.(?:oastify\.com|burpcollaborator\.net|interact\.sh|interactsh\.com|oast\.(?:fun|me|pro|live|site|online)|dnslog\.cn|ceye\.io|bxss\.me|r87\.me|requestrepo\.com)(?![\w-]|\.[\w-])/gi;
const isLabelChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;

/**
 * The first host under a service: the suffix found by a search that never backtracks into the host,
 * then the labels in front of it read backwards by hand (a value of a million dots stays linear).
 */
function oastHost(s: string): Finding[] {
  // Every name starts with a dot: the search tries the names only there.
  if (s.length < 8 || s.indexOf(".") === -1) return [];
  OAST_SERVICE.lastIndex = 0;
  for (let m = OAST_SERVICE.exec(s); m; m = OAST_SERVICE.exec(s)) {
    let start = m.index;
    while (start > 0 && (isLabelChar(s.charCodeAt(start - 1)) || (s.charCodeAt(start - 1) === 46 && start - 1 > 0 && isLabelChar(s.charCodeAt(start - 2))))) start--;
    if (start < m.index) return [finding("scanner", "scanner.oast-host", 0.95, start, m.index + m[0].length)];
  }
  return [];
}

export const scannerAnalyzer: Analyzer = {
  name: "scanner",
  analyze(input: AnalyzerInput): Finding[] {
    const oast = oastHost(input.text);
    if (input.kind === "path") return input.text.length > 1 ? [...oast, ...probePath(input.text)] : oast;
    if (input.location === "header" && input.name.toLowerCase() === "user-agent" && input.kind === "value") return [...oast, ...userAgent(input.text)];
    return oast;
  },
};
