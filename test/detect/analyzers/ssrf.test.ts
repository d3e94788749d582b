import { describe, expect, test } from "bun:test";
import { judgeHost, ownHostMimicked, ssrfAnalyzer } from "../../../src/detect/analyzers/ssrf.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { request } from "../../decompose/fixtures.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

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
    expect(judgeHost("build-7.c.project.internal")?.target).toBe("internal");
    expect(judgeHost("payments.shop.svc.cluster.local")?.target).toBe("internal");
    expect(judgeHost("10.0.0.7.nip.io")?.target).toBe("internal");
    expect(judgeHost("www.example.com")).toEqual({ target: "public", odd: false });
    // Wildcard and rebinding services: the most inward of the addresses the name spells, in dots, dashes or hex.
    const spelt: [string, string][] = [
      ["7f000001.c0a80001.rbndr.us", "loopback"], ["c0a80001.08080808.rbndr.us", "internal"], ["make-1.2.3.4-rebind-169.254.169.254-rr.1u.ms", "metadata"],
      ["app-7f000001.sslip.io", "loopback"], ["magic-127-0-0-1.nip.io", "loopback"], ["a9fea9fe.nip.io", "metadata"], ["127.0.0.1.traefik.me", "loopback"],
      ["1.169.254.169.254.nip.io", "metadata"], ["a.93.184.216.34.1time.169.254.169.254.1time.repeat.rebind.network", "metadata"], ["app-1.10.0.0.1.nip.io", "internal"], ["1-10-0-0-1.nip.io", "internal"],
      ["08080808.01010101.rbndr.us", "public"], ["www.example.com.nip.io", "public"], ["deadbeef.nip.io", "public"], ["7f000001.example.com", "public"],
    ];
    for (const [host, target] of spelt) expect([host, judgeHost(host)?.target]).toEqual([host, target]);
    // A rebinding service exists to alternate its answers: an inward name under one is odd; a wildcard service names developers' machines.
    for (const host of ["7f000001.c0a80001.rbndr.us", "make-1.2.3.4-rebind-169.254.169.254-rr.1u.ms"]) expect([host, judgeHost(host)?.odd]).toEqual([host, true]);
    for (const host of ["magic-127-0-0-1.nip.io", "08080808.01010101.rbndr.us"]) expect([host, judgeHost(host)?.odd]).toEqual([host, false]);
    // No WHATWG address, but parsers that wrap 32 bits read one: odd however it resolves.
    expect(judgeHost("7147006462")?.odd).toBe(true);
  });

  test("a name and a version with no slash between (an image tag) is no address; an odd notation with or without slashes is", () => {
    for (const text of ["postgres:16", "redis:7.4", "mysql:8.0", "postgres:16.4"]) expect([text, ssrfAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    for (const text of ["http:2130706433", "mysql://127.1", "dict:2130706433:6379"]) expect([text, rules(ssrfAnalyzer, leaf(text))]).toEqual([text, expect.arrayContaining(["ssrf.ip-notation"])]);
  });

  test("metadata, odd notations and protocol schemes are strong", () => {
    expect(maxStrength(ssrfAnalyzer, leaf("http://169.254.169.254/latest/meta-data/"))).toBeGreaterThanOrEqual(0.9);
    expect(maxStrength(ssrfAnalyzer, leaf("http://metadata.google.internal/computeMetadata/v1/"))).toBeGreaterThanOrEqual(0.9);
    expect(rules(ssrfAnalyzer, leaf("http://0x7f.1:6379/"))).toContain("ssrf.ip-notation");
    expect(rules(ssrfAnalyzer, leaf("http:2130706433"))).toContain("ssrf.ip-notation");
    expect(rules(ssrfAnalyzer, leaf("gopher://127.0.0.1:6379/_PING"))).toEqual(["ssrf.protocol-scheme", "ssrf.loopback-host"]);
    expect(maxStrength(ssrfAnalyzer, leaf("dict://10.0.0.5:11211/stats"))).toBeGreaterThanOrEqual(0.8);
    // userinfo hides the real host: the part after the last @ is where the request goes.
    expect(rules(ssrfAnalyzer, leaf("http://images.example.com@169.254.169.254/"))).toContain("ssrf.metadata-host");
  });

  test("a routed host (Host, X-Forwarded-Host) that is the metadata service or an odd notation; loopback and LAN hosts are health checks", () => {
    const routed = (name: string, text: string) => rules(ssrfAnalyzer, { text, location: "header", path: `header.${name}`, name, kind: "value" });
    for (const [name, text] of [["host", "169.254.169.254"], ["host", "169.254.169.254:80"], ["x-forwarded-host", "metadata.google.internal"], ["x-forwarded-host", "shop.example.com, [fd00:ec2::254]"]]) {
      expect([text, routed(name!, text!)]).toEqual([text, ["ssrf.metadata-host"]]);
    }
    expect(routed("x-forwarded-host", "0x7f000001")).toEqual(["ssrf.ip-notation"]);
    expect(routed("forwarded", 'for=192.0.2.60;proto=http;host="169.254.169.254"')).toEqual(["ssrf.metadata-host"]);
    expect(routed("forwarded", "for=192.0.2.60;host=shop.example.com, for=10.0.0.1;host=10.0.0.2")).toEqual([]);
    for (const text of ["10.0.0.5:8080", "127.0.0.1", "[::1]:80", "localhost:3000", "shop.example.com"]) expect([text, routed("host", text)]).toEqual([text, []]);
  });

  test("a signed token's identity claims name hosts, internal ones too, without asking for them to be fetched; its address claims and header's key URLs are fetched", () => {
    const at = (path: string, text: string) => rules(ssrfAnalyzer, { text, location: "header", path, name: "authorization", kind: "value" });
    expect(at("header.authorization~base64#2~json.iss", "https://keycloak.corp.internal/realms/acme")).toEqual([]);
    expect(at("header.authorization~base64#2~json.iss", "http://169.254.169.254/latest/meta-data/")).toContain("ssrf.metadata-host");
    expect(at("header.authorization~base64~json.jku", "https://keycloak.corp.internal/keys")).toContain("ssrf.internal-host");
    expect(at("header.authorization~base64#2~json.aud[1]", "https://api.corp.internal")).toEqual([]);
    for (const claim of ["request_uri", "jwks_uri", "logo_uri"]) expect(at(`body.request~base64#2~json.${claim}`, "http://127.0.0.1:2375/containers/json")).toContain("ssrf.loopback-host");
  });

  test("an internal host with the path of an admin API that hands out secrets or control is an internal service", () => {
    for (const v of ["http://127.0.0.1:8080/actuator/env", "https://10.96.0.1/api/v1/namespaces/default/secrets", "http://127.0.0.1:10250/pods", "http://172.17.0.1:2375/v1.41/containers/json", "http://10.0.0.1:8500/v1/kv/?recurse", "http://localhost.localdomain/server-status", "http://localhost:15672/api/overview",
      "http://127.0.0.1:2379/v2/keys/?recursive=true", "http://localhost:8983/solr/admin/cores", "http://127.0.0.1:9000/minio/admin/v3/info", "http://172.17.0.1:4243/images/json",
      "http://10.0.0.4:8200/v1/sys/mounts", "http://couch.svc:5984/_all_dbs", "http://192.168.1.1/cgi-bin/luci"]) {
      expect([v, rules(ssrfAnalyzer, leaf(v))]).toEqual([v, expect.arrayContaining(["ssrf.internal-service"])]);
    }
    for (const v of ["http://10.0.0.5:9200", "http://127.0.0.1:3000/api/users", "https://api.example.com/api/v1/pods"]) expect([v, rules(ssrfAnalyzer, leaf(v)).includes("ssrf.internal-service")]).toEqual([v, false]);
  });

  test("a container's names for what runs it (the host gateway, the cluster's API) are loopback", () => {
    for (const host of ["host.docker.internal", "gateway.docker.internal", "host.containers.internal", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"]) {
      expect(judgeHost(host)?.target).toBe("loopback");
    }
    expect(maxStrength(ssrfAnalyzer, leaf("http://host.docker.internal:2375/containers/json", { name: "url" }))).toBe(maxStrength(ssrfAnalyzer, leaf("http://localhost:2375/containers/json", { name: "url" })));
    expect(rules(ssrfAnalyzer, leaf("https://kubernetes.default.svc/api/v1/secrets", { name: "url" }))).toContain("ssrf.loopback-host");
  });

  test("plain loopback and LAN URLs are moderate; a bare host only with a path", () => {
    const loop = maxStrength(ssrfAnalyzer, leaf("http://localhost:8080/admin"));
    expect(loop).toBeGreaterThanOrEqual(0.5);
    expect(loop).toBeLessThan(0.8);
    expect(maxStrength(ssrfAnalyzer, leaf("//192.168.1.1/cgi"))).toBeLessThan(0.8);
    expect(rules(ssrfAnalyzer, leaf("localhost/", { name: "url" }))).toEqual(["ssrf.loopback-host"]);
    expect(ssrfAnalyzer.analyze(leaf("localhost", { name: "server" }))).toEqual([]);
    expect(rules(ssrfAnalyzer, leaf("169.254.169.254/latest/user-data"))).toEqual(["ssrf.metadata-host"]);
  });

  test("controls and blanks before a URL are dropped, as a URL parser drops them", () => {
    for (const v of ["\n http://127.0.0.1:8080/admin", "\r\n\thttp://localhost:8080/admin", "\u0000http://127.0.0.1:8080/admin"]) {
      expect([JSON.stringify(v), rules(ssrfAnalyzer, leaf(v)).filter((r) => r.startsWith("ssrf."))]).toEqual([JSON.stringify(v), ["ssrf.loopback-host"]]);
    }
    expect(rules(ssrfAnalyzer, leaf("\n\nhttp://169.254.169.254/latest/meta-data/"))).toEqual(["ssrf.metadata-host"]);
  });

  test("a container network's neighbours: a one-label name with a port, and the zones only an internal network resolves", () => {
    for (const url of ["http://redis:6379/", "http://consul:8500/v1/agent/self", "http://elasticsearch:9200/_cat/indices", "http://vault.service.consul:8200/v1/secret/data/prod", "http://10.0.0.5:8080/jenkins/script"]) {
      expect([url, rules(ssrfAnalyzer, leaf(url))]).toEqual([url, expect.arrayContaining(["ssrf.internal-host", "ssrf.internal-service"])]);
    }
    for (const url of ["http://intranet.corp.local/hr/salaries", "http://printer.lan/", "http://api.internal:8080/"]) expect([url, rules(ssrfAnalyzer, leaf(url))]).toEqual([url, ["ssrf.internal-host"]]);
    // One label without a port: a placeholder, or what a malformed link leaves after its `@`; another scheme's identifier.
    for (const url of ["http://intranet/", "https://kns.cnki.net.@nxgpkcms", "gid://shopify/Cart/abc"]) expect([url, rules(ssrfAnalyzer, leaf(url)).includes("ssrf.internal-host")]).toEqual([url, false]);
    // A script file or a blog's page is no admin endpoint.
    for (const url of ["http://localhost:3000/static/script.js", "http://127.0.0.1:3000/script.js", "http://myshop.local/blog/pods"]) expect([url, rules(ssrfAnalyzer, leaf(url)).includes("ssrf.internal-service")]).toEqual([url, false]);
  });

  test("a URL naming a service port that speaks no HTTP on this machine or its network is strong; a web port, an HTTP API or a public host is not", () => {
    for (const url of ["http://[::1]:22/", "http://localhost:6379/", "http://10.0.0.5:3306/", "http://192.168.1.10:445/", "//127.0.0.1:11211"]) {
      expect([url, rules(ssrfAnalyzer, leaf(url)).includes("ssrf.internal-service"), maxStrength(ssrfAnalyzer, leaf(url))]).toEqual([url, true, 0.85]);
    }
    // Web ports, HTTP APIs on the network named as a dashboard's data source (the service, not one of its admin endpoints), public hosts.
    for (const url of ["http://localhost:8080/admin", "http://localhost:3000/callback", "http://10.0.0.12:9200", "http://10.0.0.5:2375", "http://db.example.com:5432/", "http://203.0.113.5:6379/", "http://localhost:6379x/"]) {
      expect([url, rules(ssrfAnalyzer, leaf(url)).includes("ssrf.internal-service")]).toEqual([url, false]);
    }
    // Inside prose, as before, a loopback URL counts for nothing.
    expect(ssrfAnalyzer.analyze(leaf("start redis, then open http://localhost:6379 in the CLI"))).toEqual([]);
  });

  test("a loopback web URL in a redirect parameter is the browser's next stop (OAuth in development), weaker than in any other", () => {
    const strengthOf = (name: string, text: string) => ssrfAnalyzer.analyze(leaf(text, { name })).find((f) => f.rule === "ssrf.loopback-host")?.strength;
    expect(strengthOf("next", "http://localhost:3000/callback")).toBe(0.5);
    expect(strengthOf("url", "http://localhost:3000/callback")).toBe(0.7);
    // Not for other schemes, nor for the metadata address.
    expect(strengthOf("redirect_uri", "gopher://127.0.0.1:6379/_x")).toBe(0.85);
    expect(maxStrength(ssrfAnalyzer, leaf("http://169.254.169.254/latest/", { name: "redirect_uri" }))).toBe(0.95);
  });

  test("URLs inside a value count only when they are unmistakable", () => {
    expect(rules(ssrfAnalyzer, leaf("see x=1;curl http://169.254.169.254/latest"))).toEqual(["ssrf.metadata-host"]);
    expect(ssrfAnalyzer.analyze(leaf("start the dev server at http://localhost:3000 and open it"))).toEqual([]);
  });

  test("an authority that parsers end in different places is strong when the far host is internal", () => {
    const text = "http://a.example:80 &@b.example:80# @127.0.0.1:22/";
    const found = ssrfAnalyzer.analyze(leaf(text, { name: "data" }));
    expect(found.map((f) => [f.rule, f.strength])).toEqual([["ssrf.ambiguous-authority", 0.9]]);
    expect(maxStrength(ssrfAnalyzer, leaf("http://a.example\\@10.0.0.5/", { name: "data" }))).toBe(0.9);
    expect(maxStrength(ssrfAnalyzer, leaf("http://a.example#@b.example/", { name: "data" }))).toBe(0.5);
    // A far host spelled in a notation only parsers fold is as strong as that notation alone.
    expect(maxStrength(ssrfAnalyzer, leaf("http://XY>.7d8T\\205pZM@0330.072.0326.0316", { name: "data" }))).toBe(0.9);
    // An email address in a query, or a mention after a path, is not this.
    for (const honest of ["https://a.example/?to=me@b.example", "https://t.example/x @user.name", "https://a.example#top"]) {
      expect([honest, ssrfAnalyzer.analyze(leaf(honest, { name: "data" }))]).toEqual([honest, []]);
    }
  });

  test("Java's url: prefix, data: URLs of text and literal public addresses", () => {
    expect(rules(ssrfAnalyzer, leaf("url:file:///etc/passwd"))).toEqual(["ssrf.wrapped-url", "ssrf.protocol-scheme"]);
    expect(maxStrength(ssrfAnalyzer, leaf("url:file:///etc/passwd"))).toBe(0.8);
    const data = ssrfAnalyzer.analyze(leaf("data:text/plain;base64,SSBsb3ZlIFBIUAo="));
    expect(data.map((f) => [f.class, f.rule, f.strength])).toEqual([["rfi", "ssrf.data-url", 0.5]]);
    for (const media of ["data:image/png;base64,iVBORw0KGgo=", "data:text/html,<b>x</b>"]) expect(ssrfAnalyzer.analyze(leaf(media))).toEqual([]);
    expect(rules(ssrfAnalyzer, leaf("http://[2001:db8:1::7]/", { name: "data" }))).toEqual(["ssrf.address-host"]);
    expect(maxStrength(ssrfAnalyzer, leaf("ftp://203.0.113.9", { name: "data" }))).toBe(0.5);
    // In a header other than Referer, a public address says nothing.
    expect(ssrfAnalyzer.analyze(leaf("http://203.0.113.9/", { location: "header", path: "header.x-url", name: "x-url" }))).toEqual([]);
  });

  test("a remote text file is a remote inclusion, strong with ?s that cut off what the application appends", () => {
    const include = (text: string) => ssrfAnalyzer.analyze(leaf(text, { name: "lng" })).map((f) => [f.class, f.rule, f.strength]);
    expect(include("http://evil.example/shell.txt")).toEqual([["rfi", "ssrf.remote-text-file", 0.6]]);
    expect(include("http://evil.example/shell.txt???")).toEqual([["rfi", "ssrf.remote-text-file", 0.85]]);
    // A text file with a query, or a page, is a link.
    for (const link of ["https://example.com/robots.txt?v=2", "https://example.com/readme", "https://example.com/index.php"]) expect([link, include(link)]).toEqual([link, []]);
  });

  test("ordinary values are no finding", () => {
    for (const text of ["https://www.example.com/products?id=3", "12:30:45", "@scope/package/merged", "10.5", "a/b/c", "[fdbd:dc02:19:148::196]:9465", "mailto:someone@example.com"]) {
      expect(ssrfAnalyzer.analyze(leaf(text, { name: "data" }))).toEqual([]);
    }
  });

  test("a label before a line break or tab is no scheme with a host; a web or protocol scheme still is", () => {
    for (const text of ["Steps:\n1. Open the app\n2. Tap login", "Address:\r\n12 Elm St\r\nApt 3", "Total:\t12.50", "Log:\n127.0.0.1 - - [x]", "Server:\n10.0.0.5"]) {
      expect(ssrfAnalyzer.analyze(leaf(text, { name: "notes" }))).toEqual([]);
    }
    expect(rules(ssrfAnalyzer, leaf("http:\t127.1"))).toContain("ssrf.ip-notation");
    expect(rules(ssrfAnalyzer, leaf("http:\n//127.0.0.1:6379/"))).toContain("ssrf.internal-service");
    expect(rules(ssrfAnalyzer, leaf("gopher:\n127.0.0.1:6379/_x"))).toContain("ssrf.protocol-scheme");
    expect(rules(ssrfAnalyzer, leaf("svc://10.0.0.1/"))).toContain("ssrf.internal-host");
    // Network schemes a lenient client reads a host in after one slash, or a blank.
    expect(rules(ssrfAnalyzer, leaf("sftp:/127.0.0.1:22"))).toContain("ssrf.loopback-host");
    expect(rules(ssrfAnalyzer, leaf("rmi:/127.0.0.1:1099/Exploit"))).toContain("ssrf.loopback-host");
    expect(rules(ssrfAnalyzer, leaf("svn:\n169.254.169.254"))).toContain("ssrf.metadata-host");
    for (const v of ["gophers:/127.0.0.1:70/x", "rtmp:/127.0.0.1:1935/live"]) expect([v, rules(ssrfAnalyzer, leaf(v))]).toEqual([v, expect.arrayContaining(["ssrf.loopback-host"])]);
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
    const j = wideJunk();
    expect(spansValid(ssrfAnalyzer.analyze(leaf(j)), j)).toBe(true);
    expect(spansValid(ssrfAnalyzer.analyze(leaf(`http://${j}`)), `http://${j}`)).toBe(true);
  });
});

describe("ssrf analyzer: open redirects", () => {
  const redirect = (text: string, name = "next") => leaf(text, { name, path: `query.${name}` });

  test("a URL to a host in a redirect parameter is weak: single sign-on sends them every day", () => {
    for (const text of ["https://evil.example/", "//evil.example/path", "https://accounts.example.com/o/oauth2/auth?client_id=1"]) {
      const found = ssrfAnalyzer.analyze(redirect(text));
      expect(found.map((f) => f.class)).toEqual(["open-redirect"]);
      expect(found[0]!.strength).toBeLessThan(0.5);
    }
    expect(maxStrength(ssrfAnalyzer, redirect("https://evil.example/", "returnUrl"))).toBe(0.45);
    // A name that as often holds any URL (a beacon's page address) says less.
    expect(maxStrength(ssrfAnalyzer, redirect("https://www.example.com/page", "url"))).toBeLessThan(0.45);
    // An address instead of a name is moderate.
    expect(rules(ssrfAnalyzer, redirect("https://203.0.113.7/login"))).toEqual(["ssrf.address-host", "redirect.address-host"]);
    expect(maxStrength(ssrfAnalyzer, redirect("https://203.0.113.7/login"))).toBe(0.6);
    // An internal address is the server's to reach, not a browser's: SSRF, not a redirect.
    expect(rules(ssrfAnalyzer, redirect("http://169.254.169.254/latest/meta-data/", "url"))).toEqual(["ssrf.metadata-host"]);
    expect(rules(ssrfAnalyzer, redirect("http://127.0.0.1:8080/admin"))).not.toContain("redirect.address-host");
  });

  test("parser-confusing spellings are strong", () => {
    const tricks = ["/\\evil.example", "\\/\\/evil.example/", "http:/\\evil.example", "///evil.example/%2e%2e", "https:evil.example", "https:///evil.example/",
      "https://good.example@evil.example/", "https://good.example:443@evil.example/", "//\tevil.example", "https://evil%2eexample/", "https://ｅｖｉｌ。example/",
      "https://evil.example\\.good.example", "https://evil.example\\.good.example/login"];
    for (const text of tricks) {
      expect([text, rules(ssrfAnalyzer, redirect(text)), maxStrength(ssrfAnalyzer, redirect(text))]).toEqual([text, ["redirect.obfuscated-url"], 0.85]);
    }
    // In a parameter that as often holds any URL, moderate.
    expect(maxStrength(ssrfAnalyzer, redirect("/\\evil.example", "url"))).toBe(0.7);
  });

  test("spellings a browser reads as written are not confusing", () => {
    // A JSON-escaped URL, an internationalized name, a template with an empty host, userinfo without a host in it.
    for (const text of ["https:\\/\\/www.example.com\\/x", "https://例子.测试/", "https:///static/app.js", "https://user:secret@example.com/", "https://www.example.com\\path"]) {
      expect([text, maxStrength(ssrfAnalyzer, redirect(text)) < 0.5]).toEqual([text, true]);
    }
    // `/https://...` keeps a browser on the site: only an application that strips the slash leaves.
    expect(rules(ssrfAnalyzer, redirect("/https://evil.example"))).toEqual(["redirect.path-wrapped-url"]);
    expect(maxStrength(ssrfAnalyzer, redirect("/https://evil.example"))).toBeLessThan(0.5);
  });

  test("prose after a URL confuses no browser", () => {
    // CJK text runs on after a link: its punctuation folds into a label of punycode, a comma, or ends the sentence.
    for (const text of ["http://www.example.com。谢谢", "http://www.example.com。", "详情 http://www.example.cn，http://www.example.net", "https://www.example.com．", "https://ｅｖｉｌ.例子/", "https://www.example.com%E3%80%82", "http://www.example.com%2Fa%2Fb", "https://www.example.com%2Fnews%2F2026%2Findex.html", "https://www.example.com%EF%BC%8C%E8%B0%A2"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, []]);
    }
    for (const text of ["https://www.trusted.com@evil.example/", "http://google.com:80@evil.example/", "http://127.0.0.1@evil.example/", "https://ｅｖｉｌ。example/", "http://ｅｖｉｌ。com。/", "https://evil%2ecom/", "https://%65vil.example/", "https://evil%E3%80%82example/"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, ["redirect.obfuscated-url"]]);
    }
  });

  test("an escaped delimiter between two names, or after an escaped name, is what a second decoding sends elsewhere", () => {
    // A validator reads one host ending in the trusted name; decoded once more, the browser goes to the first.
    for (const text of ["https://evil.example%2F.trusted.example", "//evil.example%2f%2f.trusted.example", "https://evil.example%23.trusted.example", "https://evil.example%3F.trusted.example", "https://evil.example%5C.trusted.example", "https://evil.example%40trusted.example", "//evil%2Eexample%2F%2F", "https://evil.example%2F%2F..trusted.example"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text))]).toEqual([text, ["redirect.obfuscated-url"]]);
    }
    // A partly escaped link has a path after its host; a traversal has no name before its slash.
    for (const text of ["http://www.example.com%2Fa%2Fb", "https://www.example.com%2Fnews%2F2026%2Findex.html", "https://www.example.com%2Fdocs%2Fguide", "///%2e%2e%2f%2e%2e%2fetc/passwd", "https://www.example.com%09"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text)).includes("redirect.obfuscated-url")]).toEqual([text, false]);
    }
  });

  test("a `%` that starts no escape folds nothing: a browser refuses the host, and goes nowhere", () => {
    // An analytics beacon's page address mangled so (blazehttp's benign traffic has them by the dozen).
    for (const [text, name] of [["https:/%example.com/workbench", "p"], ["https:/%example.com/?continueFlag=ed33", "p"], ["https://%zzexample.com/", "next"]] as const) {
      expect([text, rules(ssrfAnalyzer, redirect(text, name)).includes("redirect.obfuscated-url")]).toEqual([text, false]);
    }
    expect(rules(ssrfAnalyzer, redirect("https://evil%2ecom/", "q"))).toEqual(["redirect.obfuscated-url"]);
  });

  test("a redirect target that starts with @ or . and a host is joined to the application's own origin", () => {
    for (const [text, name] of [["@evil.example.com", "next"], [".evil.example.com/x", "return_to"], ["@evil.example", "redirect_uri"], ["@169.254.169.254", "next"], ["@127.0.0.1/admin", "next"], ["@evil.example.com.", "next"]] as const) {
      expect([text, rules(ssrfAnalyzer, redirect(text, name)), maxStrength(ssrfAnalyzer, redirect(text, name))]).toEqual([text, ["redirect.joined-host"], 0.85]);
    }
    for (const [text, name] of [["@evil.example.com", "q"], ["@me", "next"], [".htaccess", "next"], ["/account", "next"]] as const) expect([text, ssrfAnalyzer.analyze(redirect(text, name))]).toEqual([text, []]);
  });

  test("a confusing spelling is an attack in any parameter; a plain URL there is nothing", () => {
    for (const text of ["/\\evil.example", "///evil.example/", "//a.b@evil.example/", "\\/\\/evil.example/", "//https://evil.example/", "/\t/evil.example", "https:evil.example", "https://john.doe@example.com/"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text, "q")), maxStrength(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, ["redirect.obfuscated-url"], 0.7]);
    }
    // Userinfo that is itself a host name, written to be taken for the host: proof in any parameter.
    for (const text of ["//a.example@evil.example/", "//www.trusted.tld@evil.example/", "https://good.com@evil.example/", "https://good.com:x@evil.example/"]) {
      expect([text, maxStrength(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, 0.85]);
    }
    // A user name with a dot and a two-letter surname, and one too long to be a host name.
    expect(maxStrength(ssrfAnalyzer, redirect("https://wei.li@bitbucket.org/team/repo.git", "q"))).toBe(0.7);
    expect(maxStrength(ssrfAnalyzer, redirect(`http://${"a.".repeat(200)}com@evil.example/`, "q"))).toBe(0.7);
    // Behind a slash, only an application that strips it follows.
    expect(maxStrength(ssrfAnalyzer, redirect("/https:/\\evil.example/", "q"))).toBe(0.65);
    for (const text of ["https://evil.example/", "//cdn.example.com/app.js", "/account/settings", "https://user:secret@example.com/"]) {
      expect([text, ssrfAnalyzer.analyze(redirect(text, "q"))]).toEqual([text, []]);
    }
    // `\\host\share` is also a Windows file share.
    expect(maxStrength(ssrfAnalyzer, redirect("\\\\fileserver.corp.example\\reports", "q"))).toBe(0.5);
    // A what3words location is three words after `///`, no host, unless a redirect parameter holds it or the last word is a common top-level domain.
    for (const text of ["///filled.count.soap", "///index.home.raft"]) expect([text, ssrfAnalyzer.analyze(redirect(text, "q"))]).toEqual([text, []]);
    expect(maxStrength(ssrfAnalyzer, redirect("///filled.count.soap", "next"))).toBe(0.85);
    for (const text of ["///evil.example.com", "///a.b.c/x", "///evil.example", "///www.evil.soap", "///evil.example.tk"]) expect([text, maxStrength(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, 0.7]);
  });

  test("a confusing spelling is an attack in a cookie, a route's path segment or an application's own header too, strong under a redirect's name; a plain URL there, and the protocol's headers, give nothing", () => {
    const cookie = (text: string) => leaf(text, { location: "cookie", path: "cookie.theme", name: "theme" });
    const segment = (text: string) => leaf(text, { location: "path", path: "path.segment[2]", name: "" });
    const header = (text: string) => leaf(text, { location: "header", path: "header.x-theme", name: "x-theme" });
    for (const at of [cookie, segment, header]) {
      expect(rules(ssrfAnalyzer, at("/\t/evil.example"))).toEqual(["redirect.obfuscated-url"]);
      expect(maxStrength(ssrfAnalyzer, at("///evil.example/%2f.."))).toBe(0.7);
      expect(ssrfAnalyzer.analyze(at("https://evil.example/next"))).toEqual([]);
    }
    const returnCookie = (text: string) => leaf(text, { location: "cookie", path: "cookie.returnUrl", name: "returnUrl" });
    const returnHeader = (text: string) => leaf(text, { location: "header", path: "header.x-return-to", name: "x-return-to" });
    for (const at of [returnCookie, returnHeader]) {
      for (const text of ["///evil.example", "\\\\evil.example", "https:/\\evil.example"]) expect([text, maxStrength(ssrfAnalyzer, at(text))]).toEqual([text, 0.85]);
      expect(ssrfAnalyzer.analyze(at("https://evil.example/next"))).toEqual([]);
    }
    for (const name of ["accept-language", "x-forwarded-prefix", "x-original-url", "sec-fetch-dest", "hx-current-url"]) {
      expect([name, ssrfAnalyzer.analyze(leaf("///evil.example/%2f..", { location: "header", path: `header.${name}`, name }))]).toEqual([name, []]);
    }
  });

  test("the parameters of a URL in an application's own header are parameters: a remote script to include there", () => {
    const inHeader = (path: string, text: string, name: string) => rules(ssrfAnalyzer, { text, location: "header", path, name, kind: "value" });
    expect(inHeader("header.x-api-data~url-in-value.query.section", "http://evil.example/shell.txt", "section")).toContain("ssrf.remote-text-file");
    // The header's own value names the application's resources by URL; a Referer's parameters, a
    // proxy's or a cloud API's headers are none of the application's.
    for (const [path, name] of [["header.x-feed-url", "x-feed-url"], ["header.referer.query.section", "section"], ["header.x-forwarded-uri~url-in-value.query.section", "section"], ["header.x-amz-website-redirect-location", "x-amz-website-redirect-location"]]) {
      expect([path, inHeader(path!, "https://example.com/feed.txt", name!)]).toEqual([path, []]);
    }
  });

  test("a `..` segment hidden in a URL's path is moderate, strong in a redirect parameter", () => {
    for (const text of ["//evil.example/%2f%2e%2e", "https://evil.example/%2f..", "https://evil.example//..", "//evil.example/%2e%2e%2f"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text)), maxStrength(ssrfAnalyzer, redirect(text))]).toEqual([text, ["redirect.hidden-climb"], 0.8]);
      expect([text, maxStrength(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, 0.6]);
    }
    // A climb written plainly, dots inside a name, an escaped dot file: no hidden climb.
    for (const text of ["https://example.com/a/../b", "https://example.com/v1..v2/", "https://example.com/%2e%2e.pdf", "https://example.com/a%2Fb"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, []]);
    }
  });

  test("a URL with its scheme's letters escaped, or behind markup a sanitizer deletes, is obfuscated", () => {
    for (const text of ["%68%74%74%70%73%3a%2f%2fevil.example", "<>//evil.example", "/<>//evil.example/"]) {
      expect([text, rules(ssrfAnalyzer, redirect(text)), maxStrength(ssrfAnalyzer, redirect(text))]).toEqual([text, ["redirect.obfuscated-url"], 0.85]);
      expect([text, maxStrength(ssrfAnalyzer, redirect(text, "q"))]).toEqual([text, 0.7]);
    }
    for (const text of ["%E4%BD%A0%E5%A5%BD", "%41BC", "%68ello world", "<>", "/<>/path/x"]) expect([text, ssrfAnalyzer.analyze(redirect(text))]).toEqual([text, []]);
  });

  test("only redirect-like parameters, never a path, a relative target or javascript:", () => {
    expect(ssrfAnalyzer.analyze(redirect("https://evil.example/", "q"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(redirect("/account/settings"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(redirect("javascript:alert(1)"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf("https://evil.example/", { location: "header", path: "header.x-next", name: "next" }))).toEqual([]);
  });

  test("the cheap first checks keep ports, upper case, `.TXT` and escaped climbs; plain words and emails give nothing", () => {
    expect(rules(ssrfAnalyzer, leaf("http://a.example:80@127.0.0.1/", { name: "next" }))).toContain("redirect.obfuscated-url");
    expect(rules(ssrfAnalyzer, leaf("HTTP://LOCALHOST:8080/admin"))).toContain("ssrf.loopback-host");
    expect(rules(ssrfAnalyzer, leaf("http://evil.example/x.TXT??"))).toContain("ssrf.remote-text-file");
    expect(rules(ssrfAnalyzer, leaf("http://shop.example/a/%2e%2e/b", { name: "next" }))).toContain("redirect.hidden-climb");
    expect(ssrfAnalyzer.analyze(leaf("Credenciales incorrectas"))).toEqual([]);
    expect(ssrfAnalyzer.analyze(leaf("jane_doe@mail.example"))).toEqual([]);
  });
});

test("a scheme named like a property of plain objects is no protocol finding (no NaN strength)", () => {
  for (const text of ["constructor://x.example/", "toString://x.example/a", "__proto__://x/"]) {
    for (const f of ssrfAnalyzer.analyze({ text, location: "query", path: "query.u", name: "u", kind: "value" })) expect(Number.isFinite(f.strength)).toBe(true);
  }
});

describe("ssrf analyzer: a redirect target written to pass for the site", () => {
  const prefixed = (host: string, target: string) => {
    const { leaves } = decompose(request([`GET /login?next=${encodeURIComponent(target)} HTTP/1.1`, `Host: ${host}`]));
    return ownHostMimicked({ host }, leaves).map(({ at, finding }) => [leaves[at]!.path, finding.rule, finding.strength]);
  };

  test("a host that starts with its name and goes on, or its name in a foreign path, is proof, on the value; the site, its subdomains, its country domains and hosting services' names for it are not", () => {
    for (const target of ["https://app.example.org.evil.example/", "//APP.EXAMPLE.ORG.evil.example/x", "https://app.example.org.evil.example:8443/", "https://app.example.org-login.evil.example/", "https://evil.example/app.example.org", "https://evil.example/https://app.example.org/"]) {
      expect([target, prefixed("app.example.org:443", target)]).toEqual([target, [["query.next", "redirect.own-host-mimicked", 0.85]]]);
    }
    // Nor is a hosting service's name for the site (a bucket, AMP's cache, a translating proxy).
    for (const target of ["https://app.example.org/account", "https://cdn.app.example.org/x", "https://app.example.org.au/", "https://cdn.app.example.org.au/", "https://app.example.org.co.uk/", "/account", "https://idp.example.net/login?return=https://app.example.org/", "https://app.example.org.s3.amazonaws.com/logo.png", "https://assets.app.example.org.s3.amazonaws.com/x", "https://app-example-org.cdn.ampproject.org/c/s/x", "https://app-example-org.translate.goog/"]) {
      expect([target, prefixed("app.example.org", target)]).toEqual([target, []]);
    }
    // The site's name in a foreign path counts in a redirect parameter only: a profile's link may name it.
    const { leaves } = decompose(request(["GET /profile?website=https%3A%2F%2Fgithub.com%2Forg%2Fapp.example.org HTTP/1.1", "Host: app.example.org"]));
    expect(ownHostMimicked({ host: "app.example.org" }, leaves)).toEqual([]);
    // The site's own domain mimicked (`app.example.org` serves `example.org`); its other hosts, its country domains, a suffix are not.
    expect(prefixed("app.example.org", "https://example.org.evil.example/")).toEqual([["query.next", "redirect.own-host-mimicked", 0.85]]);
    for (const target of ["https://www.example.org/x", "https://example.org/x", "https://example.org.au/x"]) expect([target, prefixed("app.example.org", target)]).toEqual([target, []]);
    expect(prefixed("example.co.uk", "https://co.uk.evil.example/")).toEqual([]);
    // A host of one label (`localhost`), or an address, names no site to pass for.
    expect(prefixed("localhost", "https://localhost.evil.example/")).toEqual([]);
    expect(prefixed("192.168.1.1", "http://192.168.1.10/")).toEqual([]);
  });
});

describe("ssrf analyzer: round s22's fixes", () => {
  test("OAuth's redirect_uri to a port on the user's own machine is a native app's sign-in (RFC 8252), not SSRF", () => {
    for (const v of ["http://localhost:3000/callback", "http://127.0.0.1:53682/"]) {
      expect([v, rules(ssrfAnalyzer, leaf(v, { name: "redirect_uri" }))]).toEqual([v, expect.not.arrayContaining(["ssrf.loopback-host"])]);
    }
    // Without a port, in another redirect parameter (a webhook's callback is fetched), and other targets stay judged.
    expect(rules(ssrfAnalyzer, leaf("http://localhost/cb", { name: "redirect_uri" }))).toContain("ssrf.loopback-host");
    expect(rules(ssrfAnalyzer, leaf("http://localhost:3000/callback", { name: "callback" }))).toContain("ssrf.loopback-host");
    expect(rules(ssrfAnalyzer, leaf("http://127.0.0.1:6379/", { name: "redirect_uri" }))).toContain("ssrf.internal-service");
    expect(rules(ssrfAnalyzer, leaf("http://169.254.169.254:80/latest", { name: "redirect_uri" }))).toContain("ssrf.metadata-host");
  });
  test("a routed host header with an `@` sends the links built from it to the host after it", () => {
    const host = (v: string, name = "host") => ssrfAnalyzer.analyze({ text: v, location: "header", kind: "value", name, path: `header.${name}` });
    expect(host("app.example.com:@evil.example").map((f) => f.rule)).toEqual(["redirect.host-userinfo"]);
    expect(host("evil.example@app.example.com", "x-forwarded-host").map((f) => f.rule)).toEqual(["redirect.host-userinfo"]);
    for (const v of ["app.example.com", "app.example.com:8443", "[::1]:8080"]) expect(host(v)).toEqual([]);
  });
});

describe("ssrf analyzer: a routed host written as a URL", () => {
  test("X-Forwarded-Host holding a URL is judged by the URL's host", () => {
    const xfh = (v: string) => ssrfAnalyzer.analyze({ text: v, location: "header", kind: "value", name: "x-forwarded-host", path: "header.x-forwarded-host" });
    expect(xfh("http://169.254.169.254/").map((f) => f.rule)).toEqual(["ssrf.metadata-host"]);
    expect(xfh("https://0x7f000001:8080/x").map((f) => f.rule)).toEqual(["ssrf.ip-notation"]);
    expect(xfh("http://shop.example/")).toEqual([]);
  });
});

describe("ssrf analyzer: a bare address with a path", () => {
  test("an address or an account at a host, then a path that names something, is a backend to reach", () => {
    for (const [v, rule] of [["127.0.0.1/owa/auth/logon.aspx?~3", "ssrf.loopback-host"], ["Administrator@localhost:444/ecp/proxyLogon.ecp?a=~1", "ssrf.loopback-host"], ["10.1.2.3/admin", "ssrf.internal-host"]] as const) expect([v, rules(ssrfAnalyzer, leaf(v))]).toEqual([v, [rule]]);
    // A network and its prefix length, an e-mail address, a public address.
    for (const v of ["10.0.0.0/8", "192.168.1.0/24", "john@localhost", "8.8.8.8/x"]) expect([v, ssrfAnalyzer.analyze(leaf(v))]).toEqual([v, []]);
  });
});

describe("ssrf analyzer: a wiki's File: namespace", () => {
  test("`File:Example.jpg` names a wiki's page; a file: URL names a path after a slash, a drive or as a relative path", () => {
    for (const v of ["File:Example.jpg", "File:Rosa rubiginosa 1.jpg", "file:win.ini"]) expect([v, ssrfAnalyzer.analyze(leaf(v, { name: "title" }))]).toEqual([v, []]);
    for (const v of ["file:/etc/passwd", "file:///etc/passwd", "file:c:/windows/win.ini", "file:etc/passwd"]) expect([v, rules(ssrfAnalyzer, leaf(v, { name: "title" }))]).toEqual([v, ["ssrf.protocol-scheme"]]);
  });
});
