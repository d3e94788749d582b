import { describe, expect, test } from "bun:test";
import { pathAnalyzer } from "../../../src/detect/analyzers/path.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string, name = "file") => strength(pathAnalyzer, text, { name, path: `query.${name}` });
const p = (text: string) => strength(pathAnalyzer, text, { kind: "path", location: "path", path: "path", name: "" });

describe("path analyzer", () => {
  test("traversal that escapes the root, however the parents are spelled", () => {
    for (const v of ["../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "....//....//....//etc/passwd", "..;/..;/WEB-INF/web.xml", "foo/../../../../proc/self/environ", "..\u0000/..\u0000/etc/passwd", "..\u2215..\u2215..\u2215etc\u2215shadow"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.9);
    }
    expect(strongest(pathAnalyzer, "../../../../etc/passwd")!.class).toBe("traversal");
  });

  test("the escape depth sets the strength when no known file is reached", () => {
    expect(s("../img/a.png")).toBe(0.5);
    expect(s("../../x/y")).toBe(0.7);
    expect(s("../../../x/y")).toBe(0.85);
    // Resolving inside the root is no escape.
    expect(s("a/b/../c")).toBe(0);
    // An ellipsis in prose is no parent directory.
    expect(s("wait... ok")).toBe(0);
  });

  test("absolute sensitive files, Windows and Unix", () => {
    expect(s("/etc/passwd")).toBe(0.9);
    expect(s("C:\\Windows\\System32\\drivers\\etc\\hosts")).toBe(0.9);
    expect(s("c:\\boot.ini")).toBeGreaterThanOrEqual(0.85);
    expect(s("/etc/hostname.ge2")).toBe(0.8);
    // The same file named in a sentence is weak; a relative `etc/passwd` is a word.
    expect(s("how do I edit /etc/hosts on a mac")).toBe(0.5);
    expect(s("docs/etc/passwd-policy")).toBe(0);
  });

  test("bracket globs that a shell resolves to a sensitive file", () => {
    expect(s("/[e]tc/pa[s]swd")).toBe(0.9);
    expect(s("/etc/sh[a]dow")).toBe(0.9);
    expect(s("/[a-z]/x")).toBe(0);
  });

  test("an upload's file name with a parent directory, in either slash", () => {
    const upload = (text: string, kind: "filename" | "part-header" = "filename") => strength(pathAnalyzer, text, { kind, location: "body", name: "file" });
    expect(upload("../1.7z")).toBe(0.85);
    expect(upload("..\\x.png")).toBe(0.85);
    expect(upload('form-data; name="f"; filename="../../a.jsp"', "part-header")).toBe(0.85);
    expect(upload("report..final.pdf")).toBe(0);
  });

  test("PHP stream wrappers are local file inclusion", () => {
    for (const v of ["php://filter/convert.base64-encode/resource=index.php", "expect://id", "phar://./uploads/x.jpg/a", "data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWzBdKTs/Pg=="]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.85);
    }
    expect(s("file:///etc/passwd")).toBeGreaterThanOrEqual(0.85);
    expect(s("data:image/png;base64,iVBORw0KGgo=")).toBe(0);
  });

  test("remote file inclusion: a URL to a script, or ending in ? to cut the suffix", () => {
    const rfi = strongest(pathAnalyzer, "http://198.51.100.7/shell.txt?", { name: "page" })!;
    expect([rfi.class, rfi.rule, rfi.strength]).toEqual(["rfi", "path.remote-include", 0.85]);
    expect(s("http://198.51.100.7/c99.php", "include")).toBe(0.85);
    expect(s("https://foo.example", "_CONF[path]")).toBe(0.5);
    // Links are not inclusions: a page, an image with a trailing ?, a search URL.
    expect(s("https://www.example.com/products/index.php", "url")).toBe(0);
    expect(s("https://p1.example-cdn.com/img/a~tplv:240.awebp?", "name")).toBe(0);
    expect(s("https://www.google.com/search?q=x", "ref")).toBe(0);
  });

  test("UNC paths", () => {
    expect(evidence(pathAnalyzer, "\\\\198.51.100.7\\share\\x.php")).toBe("\\\\198.51.100.7\\share");
  });

  test("the URL path: traversal, dot segments, Tomcat's ..;, sensitive and hidden files", () => {
    expect(p("/static/../../etc/passwd")).toBe(0.95);
    expect(p("/a/../b")).toBe(0.6);
    expect(p("/app/..;/manager/html")).toBe(0.85);
    expect(p("/.git/config")).toBe(0.7);
    expect(p("/.claude/settings.json")).toBe(0.6);
    expect(p("/.well-known/security.txt")).toBe(0);
    expect(p("/cgi-bin/x.cgi")).toBe(0);
    expect(p("/v1.0/me/drive/root:/report (1).pdf:/content")).toBe(0);
  });

  test("keys are not paths", () => {
    expect(strength(pathAnalyzer, "../../etc/passwd", { kind: "key" })).toBe(0);
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    expect(s("x".repeat(1_000_000) + " ../../../../etc/passwd")).toBe(0.95);
    expect(s("../".repeat(300_000))).toBe(0.85);
    expect(() => pathAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
    expect(s("")).toBe(0);
  });
});

describe("climbs a filter did not see", () => {
  const climb = (text: string) => Math.max(0, ...pathAnalyzer.analyze({ text, location: "query", path: "query.file", name: "file", kind: "value" }).map((f) => f.strength));

  test("dots glued to a name by an encoded separator the filter did not decode, up to a system file", () => {
    expect(climb("........boot.ini")).toBeGreaterThanOrEqual(0.8);
    expect(climb("..\uEFC8..\uEFC8..\uEFC8etc/passwd")).toBeGreaterThanOrEqual(0.8);
  });

  test("dots and slashes spelled 0x2e, 0x2f, 0x5c on the way to a system file", () => {
    expect(climb("0x2e0x2e/0x2e0x2e/etc/passwd")).toBeGreaterThanOrEqual(0.8);
    expect(climb("..0x5c..0x5cwindows\\win.ini")).toBeGreaterThanOrEqual(0.8);
  });

  test("parents on the way to a system file, even when they do not climb above the value's start", () => {
    expect(climb("/api/v1/items/../../windows/system32/drivers/etc/hosts")).toBeGreaterThanOrEqual(0.8);
    expect(climb("docs/../manual/intro.html")).toBeLessThan(0.8);
  });

  test("ellipses in prose and hex numbers are not climbs", () => {
    expect(climb("wait....and then it broke")).toBe(0);
    expect(climb("....and then")).toBe(0);
    expect(climb("color 0x2e0x2f is a code")).toBe(0);
  });
});
