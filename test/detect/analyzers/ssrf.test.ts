import { describe, expect, test } from "bun:test";
import { judgeHost, ssrfAnalyzer } from "../../../src/detect/analyzers/ssrf.ts";
import { HUGE, junk, leaf, rules, spansValid, strongest } from "./protocols-helpers.ts";

describe("ssrf analyzer: where a URL points", () => {
  test("odd IPv4 notations fold to the address a server's URL parser reads", () => {
    for (const host of ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "0"]) {
      expect(judgeHost(host)).toEqual({ target: "loopback", odd: true });
    }
    expect(judgeHost("127.0.0.1")).toEqual({ target: "loopback", odd: false });
    expect(judgeHost("[::1]")).toEqual({ target: "loopback", odd: false });
    expect(judgeHost("169.254.169.254")?.target).toBe("metadata");
    expect(judgeHost("①⑥⑨.②⑤④.①⑥⑨.②⑤④")).toEqual({ target: "metadata", odd: true });
    expect(judgeHost("[0:0:0:0:0:0:169.254.169.254]")).toEqual({ target: "metadata", odd: true });
    expect(judgeHost("10.1.2.3")?.target).toBe("internal");
    expect(judgeHost("[fe80::1%25eth0]")?.target).toBe("internal");
    expect(judgeHost("host.docker.internal")?.target).toBe("internal");
    expect(judgeHost("10.0.0.7.nip.io")?.target).toBe("internal");
    expect(judgeHost("www.example.com")).toEqual({ target: "public", odd: false });
    // No WHATWG address, but parsers that wrap 32 bits read one: odd however it resolves.
    expect(judgeHost("7147006462")?.odd).toBe(true);
  });

  test("metadata, odd notations and protocol schemes are strong", () => {
    expect(strongest(ssrfAnalyzer, leaf("http://169.254.169.254/latest/meta-data/"))).toBeGreaterThanOrEqual(0.9);
    expect(strongest(ssrfAnalyzer, leaf("http://metadata.google.internal/computeMetadata/v1/"))).toBeGreaterThanOrEqual(0.9);
    expect(rules(ssrfAnalyzer, leaf("http://0x7f.1:6379/"))).toContain("ssrf.ip-notation");
    expect(rules(ssrfAnalyzer, leaf("http:2130706433"))).toContain("ssrf.ip-notation");
    expect(rules(ssrfAnalyzer, leaf("gopher://127.0.0.1:6379/_PING"))).toEqual(["ssrf.protocol-scheme", "ssrf.loopback-host"]);
    expect(strongest(ssrfAnalyzer, leaf("dict://10.0.0.5:11211/stats"))).toBeGreaterThanOrEqual(0.8);
    // userinfo hides the real host: the part after the last @ is where the request goes.
    expect(rules(ssrfAnalyzer, leaf("http://images.example.com@169.254.169.254/"))).toContain("ssrf.metadata-host");
  });

  test("plain loopback and LAN URLs are moderate; a bare host only with a path", () => {
    const loop = strongest(ssrfAnalyzer, leaf("http://localhost:8080/admin"));
    expect(loop).toBeGreaterThanOrEqual(0.5);
    expect(loop).toBeLessThan(0.8);
    expect(strongest(ssrfAnalyzer, leaf("//192.168.1.1/cgi"))).toBeLessThan(0.8);
    expect(rules(ssrfAnalyzer, leaf("localhost/", { name: "url" }))).toEqual(["ssrf.loopback-host"]);
    expect(ssrfAnalyzer.analyze(leaf("localhost", { name: "server" }))).toEqual([]);
    expect(rules(ssrfAnalyzer, leaf("169.254.169.254/latest/user-data"))).toEqual(["ssrf.metadata-host"]);
  });

  test("URLs inside a value count only when they are unmistakable", () => {
    expect(rules(ssrfAnalyzer, leaf("see x=1;curl http://169.254.169.254/latest"))).toEqual(["ssrf.metadata-host"]);
    expect(ssrfAnalyzer.analyze(leaf("start the dev server at http://localhost:3000 and open it"))).toEqual([]);
  });

  test("ordinary values are no finding", () => {
    for (const text of ["https://www.example.com/products?id=3", "12:30:45", "@scope/package/merged", "10.5", "a/b/c", "[fdbd:dc02:19:148::196]:9465", "mailto:someone@example.com"]) {
      expect(ssrfAnalyzer.analyze(leaf(text, { name: "data" }))).toEqual([]);
    }
  });

  test("Referer and Origin, and leaves made from them, are never judged", () => {
    const meta = "http://169.254.169.254/";
    expect(ssrfAnalyzer.analyze(leaf(meta, { location: "header", path: "header.referer", name: "referer" }))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf(meta, { location: "header", path: "header.origin", name: "origin" }))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf("//evil.example/", { location: "header", path: "header.referer.query.next", name: "next" }))).toEqual([]);
    // Another header carrying a URL is judged.
    expect(rules(ssrfAnalyzer, leaf(meta, { location: "header", path: "header.x-original-url", name: "x-original-url" }))).toContain("ssrf.metadata-host");
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(ssrfAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf(`//${HUGE}`))).toEqual([]);
    expect(rules(ssrfAnalyzer, leaf(`${"a://".repeat(200_000)}x http://169.254.169.254/`))).toContain("ssrf.metadata-host");
    const j = junk();
    expect(spansValid(ssrfAnalyzer.analyze(leaf(j)), j)).toBe(true);
    expect(spansValid(ssrfAnalyzer.analyze(leaf(`http://${j}`)), `http://${j}`)).toBe(true);
  });
});

describe("ssrf analyzer: open redirects", () => {
  const redirect = (text: string, name = "next") => leaf(text, { name, path: `query.${name}` });

  test("a URL to a host in a redirect parameter is moderate", () => {
    for (const text of ["https://evil.example/", "//evil.example/path"]) {
      const found = ssrfAnalyzer.analyze(redirect(text));
      expect(found.map((f) => f.class)).toEqual(["open-redirect"]);
      expect(found[0]!.strength).toBeGreaterThanOrEqual(0.5);
      expect(found[0]!.strength).toBeLessThan(0.8);
    }
    expect(strongest(ssrfAnalyzer, redirect("https://evil.example/", "returnUrl"))).toBe(0.6);
    // A name that as often holds any URL (a beacon's page address) says less.
    expect(strongest(ssrfAnalyzer, redirect("https://www.example.com/page", "url"))).toBeLessThan(0.5);
  });

  test("parser-confusing spellings are strong", () => {
    for (const text of ["/\\evil.example", "\\/\\/evil.example/", "http:/\\evil.example", "///evil.example/%2e%2e", "https:evil.example", "https://good.example@evil.example/", "/https://evil.example", "//\tevil.example"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text))]).toEqual([text, ["redirect.obfuscated-url"]]);
    }
  });

  test("only redirect-like parameters, never a path, a relative target or javascript:", () => {
    expect(ssrfAnalyzer.analyze(redirect("https://evil.example/", "q"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(redirect("/account/settings"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(redirect("javascript:alert(1)"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf("https://evil.example/", { location: "header", path: "header.x-next", name: "next" }))).toEqual([]);
  });
});
