import { describe, expect, test } from "bun:test";
import { addSourceUrlLeaves, queryOfUrlValue, splitUrl } from "../../src/decompose/url.ts";
import { leafAt, paths, sink } from "./fixtures.ts";

describe("splitUrl", () => {
  test("absolute and protocol-relative URLs; the fragment is dropped", () => {
    expect(splitUrl("https://shop.example.com/p/1?q=a#top")).toEqual({ path: "/p/1", query: "q=a" });
    expect(splitUrl("http://127.0.0.1:8080")).toEqual({ path: "", query: "" });
    expect(splitUrl("//cdn.example.com/x.js?v=2")).toEqual({ path: "/x.js", query: "v=2" });
  });

  test("not a URL: no scheme, or an authority no host has", () => {
    expect(splitUrl("' or 1=1--")).toBeNull();
    expect(splitUrl("/p?q=1")).toBeNull();
    expect(splitUrl("http://<script>alert(1)</script>/")).toBeNull();
    expect(splitUrl("() { :; }; echo; /bin/id")).toBeNull();
  });

  test("a value's URL query: absolute or root-relative", () => {
    expect(queryOfUrlValue("https://x.com/?a=1")).toBe("a=1");
    expect(queryOfUrlValue("/account?tab=1#x")).toBe("tab=1");
    expect(queryOfUrlValue("/account")).toBeNull();
    expect(queryOfUrlValue("hello?a=1")).toBeNull();
  });
});

describe("Referer and Origin", () => {
  test("the referer's path and query parameters are leaves; the URL as a whole is not", () => {
    const s = sink();
    addSourceUrlLeaves(s, "referer", "https://shop.example.com/search/a%20b?q=1%27%20union%20select&%3Cx%3E=1");
    expect(paths(s.leaves)).not.toContain("header.referer");
    expect(leafAt(s.leaves, "header.referer.path").text).toBe("/search/a b");
    expect(leafAt(s.leaves, "header.referer.path").kind).toBe("path");
    const q = leafAt(s.leaves, "header.referer.query.q");
    expect(q).toEqual({ location: "header", path: "header.referer.query.q", name: "q", text: "1' union select", kind: "value", encodings: [] });
    expect(leafAt(s.leaves, "header.referer.query.<x>", "key").text).toBe("<x>");
  });

  test("an origin or a site's root gives no leaf at all", () => {
    const s = sink();
    addSourceUrlLeaves(s, "origin", "https://www.example.com");
    addSourceUrlLeaves(s, "referer", "http://127.0.0.1:3000/");
    expect(s.leaves).toEqual([]);
  });

  test("a referer that is not a URL is judged whole", () => {
    const s = sink();
    addSourceUrlLeaves(s, "referer", "() { :; }; /bin/cat /etc/passwd");
    expect(leafAt(s.leaves, "header.referer").text).toBe("() { :; }; /bin/cat /etc/passwd");
  });

  test("a referer without a scheme is judged whole, and its query's parameters are decoded as any query's", () => {
    const s = sink();
    addSourceUrlLeaves(s, "referer", "www.example.com/?param=;/bin/cat+/etc/passwd#x");
    expect(leafAt(s.leaves, "header.referer").text).toBe("www.example.com/?param=;/bin/cat+/etc/passwd#x");
    expect(leafAt(s.leaves, "header.referer.query.param").text).toBe(";/bin/cat /etc/passwd");
    // Text with a space before its `?` is no URL reference: judged whole only.
    const prose = sink();
    addSourceUrlLeaves(prose, "referer", "what is this?a=1");
    expect(paths(prose.leaves)).toEqual(["header.referer"]);
  });
});
