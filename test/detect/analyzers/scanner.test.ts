import { describe, expect, test } from "bun:test";
import { scannerAnalyzer } from "../../../src/detect/analyzers/scanner.ts";
import { evidence, junk, strength } from "./helpers.ts";

const ua = (text: string) => strength(scannerAnalyzer, text, { location: "header", name: "user-agent", path: "header.user-agent" });
const path = (text: string) => strength(scannerAnalyzer, text, { location: "path", kind: "path", name: "", path: "path" });

describe("scanner analyzer", () => {
  test("tool user agents, as product tokens", () => {
    for (const v of ["sqlmap/1.8.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)", "Mozilla/5.0 zgrab/0.x", "Fuzz Faster U Fool v2.1.0", "Mozilla/5.0 (compatible; Nmap Scripting Engine)", "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1) Havij", "Arachni/0.2.1"]) {
      expect(ua(v)).toBe(0.95);
    }
    expect(evidence(scannerAnalyzer, "Mozilla/5.0 wpscan v3", { location: "header", name: "user-agent" })).toBe("wpscan");
  });

  test("a tool name inside another word, or outside the User-Agent, is nothing", () => {
    expect(ua("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")).toBe(0);
    expect(ua("MyApp/1.0 (sqlmapper; zapier-client)")).toBe(0);
    expect(strength(scannerAnalyzer, "sqlmap", { location: "query", name: "q" })).toBe(0);
    expect(strength(scannerAnalyzer, "sqlmap/1.8", { location: "header", name: "referer" })).toBe(0);
  });

  test("a host of an out-of-band testing service, in any field, is a scanner's blind payload", () => {
    for (const [v, over] of [["http://x1y2.oastify.com/", { name: "url" }], [";nslookup abc.interact.sh", { name: "host" }], ["${jndi:ldap://c0ffee.oast.fun/a}", { location: "header", name: "x-api-version" }], ["Mozilla/5.0 abc.burpcollaborator.net", { location: "header", name: "user-agent" }]] as const) {
      expect(strength(scannerAnalyzer, v, over)).toBe(0.95);
    }
    expect(path("/redirect/abc.oastify.com")).toBe(0.95);
    expect(evidence(scannerAnalyzer, "x=http://a1.oastify.com/p", { name: "u" })).toBe("a1.oastify.com");
    // A longer name that ends elsewhere, a word inside another, prose.
    for (const v of ["cxyz.oast.pro.example.org", "notoastify.com", "a canary in a coal mine", "interact.shop", "bash scripts/interact.sh", "oastify.com"]) expect(strength(scannerAnalyzer, v, { name: "q" })).toBe(0);
  });

  test("a megabyte of dotted labels is read once: the host after it is still found", () => {
    expect(strength(scannerAnalyzer, `${"a.".repeat(500_000)} x.oastify.com`, { name: "q" })).toBe(0.95);
    expect(strength(scannerAnalyzer, `${"a.".repeat(500_000)}oast`, { name: "q" })).toBe(0);
    expect(strength(scannerAnalyzer, ".oast".repeat(200_000), { name: "q" })).toBe(0);
  });

  test("probe paths are weak findings; ordinary paths none", () => {
    for (const v of ["/wp-config.php.bak", "/.git/HEAD", "/.env", "/index.php~", "/phpmyadmin/", "/server-status", "/actuator/env", "/backup.sql.gz"]) {
      const x = path(v);
      expect(x).toBeGreaterThanOrEqual(0.5);
      expect(x).toBeLessThanOrEqual(0.7);
    }
    for (const v of ["/", "/cgi-bin/x.cgi", "/server/avatar.php", "/products/p41", "/blog/winter-sale-2026", "/static/app.js", "/api/v1/env/list"]) expect(path(v)).toBe(0);
  });

  test("probes for developer tools' credentials: registry tokens, cluster keys, deployment and MCP configs", () => {
    for (const v of ["/.npmrc", "/.git-credentials", "/.kube/config", "/.docker/config.json", "/.vscode/sftp.json", "/.cursor/mcp.json", "/app/.mcp.json"]) expect(path(v)).toBe(0.7);
    // An editor's settings and files that only share a name's tail hold no credentials.
    for (const v of ["/.vscode/settings.json", "/static/app.npmrc.js", "/docs/netrc", "/mcp.json"]) expect(path(v)).toBe(0);
    // Any tool's MCP config in its hidden folder, and an automation server's key file.
    for (const v of ["/.roo/mcp.json", "/.codeium/windsurf/mcp_config.json", "/home/app/.vscode/mcp.json", "/.n8n/config"]) expect(path(v)).toBe(0.7);
    for (const v of ["/docs/mcp.json", "/api/mcp_config.json", "/n8n/config"]) expect(path(v)).toBe(0);
  });

  test("a 1 MB user agent or path, and binary junk, give a correct answer", () => {
    expect(ua("a".repeat(1_000_000) + " nikto")).toBe(0.95);
    expect(path("/" + "a/".repeat(500_000) + ".git/config")).toBe(0.7);
    expect(ua(junk(100_000))).toBe(0);
  });
});

describe("scanner analyzer: round s22's fixes", () => {
  test("diagnostics that leak requests and secrets are probe paths", () => {
    for (const p of ["/elmah.axd", "/elmah.axd/detail/12", "/trace.axd", "/debug/pprof", "/debug/pprof/heap", "/app/etc/local.xml", "/app/etc/env.php", "/wp-content/debug.log"]) expect([p, path(p)]).toEqual([p, 0.6]);
    for (const p of ["/debug/help", "/app/etc/logo.png", "/wp-content/uploads/debug.png"]) expect([p, path(p)]).toEqual([p, 0]);
  });
});

describe("scanner analyzer: private directories", () => {
  test("Java's and ASP.NET's directories that the server never serves are probe paths", () => {
    for (const p of ["/WEB-INF/web.xml", "/App_Data/ASPNETDB.MDF", "/app_code/db.cs", "/app_data/x/y.mdf"]) expect([p, path(p)]).toEqual([p, 0.6]);
    // ASP.NET's only with the files it keeps there: an API's own `app_data` resource is none.
    for (const p of ["/app_data_export.csv", "/docs/app-data/", "/api/v1/app_data/123", "/app_data/reports/2024.csv"]) expect([p, path(p)]).toEqual([p, 0]);
  });
});
