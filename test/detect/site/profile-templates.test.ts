/** The site profile learns endpoint templates and leaves tracking and locale parameters to the generic model. */
import { describe, expect, test } from "bun:test";
import { compileLogFormat, COMBINED_FORMAT } from "../../../src/parse/log-format.ts";
import { isParseError, type HttpRequest } from "../../../src/core/http-request.ts";
import { ProfileBuilder } from "../../../src/detect/site/profile.ts";
import { siteFeatures } from "../../../src/detect/site/features.ts";
import { endpointKey, foldSegment, generalizeEndpoints, templateOf } from "../../../src/detect/site/endpoint-templates.ts";
import { isCommonParam } from "../../../src/detect/site/common-params.ts";

const parser = compileLogFormat({ name: "combined", format: COMBINED_FORMAT });
function at(target: string, method = "GET"): HttpRequest {
  const r = parser.parse(`198.51.100.1 - - [24/Nov/2026:12:00:00 +0000] "${method} ${target} HTTP/1.1" 200 10 "-" "Mozilla/5.0"`, { source: "test", line: 1 });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}

const SLUGS = ["red-shoes", "blue-hat", "green-scarf", "wool-coat", "rain-boots", "linen-shirt", "silk-tie", "denim-jacket", "cotton-socks", "leather-belt", "straw-hat", "canvas-bag", "velvet-dress", "tweed-cap"];

/** A small shop: numbered product pages, blog posts by slug, a search page. */
function shopTraffic(): HttpRequest[] {
  const out: HttpRequest[] = [];
  for (let i = 0; i < 600; i++) {
    out.push(at(`/products/p${i % 40}?color=${["red", "blue"][i % 2]}`));
    out.push(at(`/blog/${SLUGS[i % SLUGS.length]}`));
    out.push(at(`/search?q=hat&page=${(i % 5) + 1}`));
  }
  return out;
}

function findingsOf(profile: ReturnType<ProfileBuilder["build"]>, target: string) {
  return siteFeatures(profile, at(target), 0).findings.map((f) => `${f.feature} ${f.field}`);
}

describe("a value's new character kinds", () => {
  test("many distinct symbols, each its own kind, are counted once each (a list's lookups were quadratic)", () => {
    const profile = (() => {
      const b = new ProfileBuilder();
      for (const r of shopTraffic()) b.add(r);
      return b.build();
    })();
    const symbols = Array.from({ length: 250_000 }, (_, i) => String.fromCodePoint(0x40000 + i)).join("");
    const novel = siteFeatures(profile, at(`/search?q=${encodeURIComponent(symbols)}&page=1`), 0).findings.find((f) => f.feature === "novelKinds");
    expect(novel?.value).toBeCloseTo(Math.log1p(250_000), 6);
  });
});

describe("endpoint templates", () => {
  test("identifier-like segments fold: numbers, hex, uuids, tokens and slugs with digits; words and extensions stay", () => {
    expect(["42", "p41", "winter-sale-2026", "0f3a9c2e7b1d4a6f", "123e4567-e89b-12d3-a456-426614174000", "app.4f3a2b1c.js", "about", "index.php", ".env"].map(foldSegment))
      .toEqual(["{n}", "{id}", "{slug}", "{hex}", "{uuid}", "{slug}.js", "about", "index.php", ".env"]);
    expect(endpointKey(at("/products/p41"))).toBe(endpointKey(at("/products/p42")));
    expect(endpointKey(at("/products/p41'--"))).toBe("/products/p41'--");
  });

  test("a position with many distinct segments becomes a wildcard, a frequent one stays, and file types stay apart", () => {
    const counts = new Map<string, number>([["/blog/about", 500], ...SLUGS.map((s) => [`/blog/${s}`, 3] as [string, number]), ["/blog/feed.xml", 2]]);
    const renamed = generalizeEndpoints(counts);
    expect(renamed.get("/blog/red-shoes")).toBe("/blog/{*}");
    expect(renamed.get("/blog/about")).toBe("/blog/about");
    expect(renamed.get("/blog/feed.xml")).toBe("/blog/feed.xml");
    const endpoints = Object.fromEntries([...new Set(renamed.values())].map((k) => [k, 1]));
    expect(templateOf(endpoints, "/blog/new-post")).toBe("/blog/{*}");
    expect(templateOf(endpoints, "/blog/shell.php")).toBeNull();
    expect(templateOf(endpoints, "/blog/about")).toBe("/blog/about");
  });

  test("the root takes far more distinct pages to generalize (scanners probe there)", () => {
    const root = generalizeEndpoints(new Map(SLUGS.map((s) => [`/${s}`, 3])));
    expect(root.get("/red-shoes")).toBe("/red-shoes");
  });

  test("a new product page and a new blog post are pages of known endpoints", () => {
    const b = new ProfileBuilder();
    for (const r of shopTraffic()) b.add(r);
    const profile = b.build();
    expect(Object.keys(profile.endpoints).sort()).toEqual(["/blog/{*}", "/products/{id}", "/search"]);
    expect(findingsOf(profile, "/products/p4100?color=red")).toEqual([]);
    expect(findingsOf(profile, "/blog/winter-sale")).toEqual([]);
    expect(findingsOf(profile, "/blog/winter-sale-2026")).toEqual([]);
    expect(findingsOf(profile, "/checkout")).toContain("unknownEndpoint path");
  });
});

describe("tracking and locale parameters", () => {
  test("are never unknown parameters, nor judged against the profile", () => {
    const b = new ProfileBuilder();
    for (const r of shopTraffic()) b.add(r);
    // Seen before with other values: still not the site's to judge.
    for (let i = 0; i < 50; i++) b.add(at(`/search?q=hat&page=1&lang=${["en", "de"][i % 2]}`));
    const profile = b.build();
    expect(findingsOf(profile, "/search?q=hat&page=2&utm_campaign=xmas-2026&utm_source=mail&gclid=EAIaIQobChMI&fbclid=IwAR3x&msclkid=5d1&mc_cid=a1b2&_ga=2.1.2&ref=producthunt")).toEqual([]);
    expect(findingsOf(profile, "/search?q=hat&page=2&lang=fr&locale=fr_FR&hl=fr")).toEqual([]);
    expect(profile.endpoints["/search"]!.params).not.toHaveProperty("lang");
    expect(findingsOf(profile, "/search?q=hat&page=2&debug=1")).toContain("unknownParams query.debug");
  });

  test("the list: families by prefix, names by exact match, any case", () => {
    expect(["utm_content", "UTM_Medium", "gclid", "fbclid", "msclkid", "mc_cid", "_ga", "ref", "lang", "locale", "hl", "pk_kwd"].every(isCommonParam)).toBe(true);
    expect(["id", "q", "page", "utm", "reference", "language_id", "redirect"].some(isCommonParam)).toBe(false);
  });
});
