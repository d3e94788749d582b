import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { MAX_KEPT_BODY_BYTES, type HttpRequest } from "../../src/core/http-request.ts";
import { decompose, DEFAULT_DECOMPOSE_LIMITS } from "../../src/decompose/index.ts";
import { isBase64Reading, isReadingOf } from "../../src/decompose/leaf.ts";
import { addBodyLeaves } from "../../src/decompose/body/index.ts";
import { addCookieLeaves, addHeaderLeaves, addPathLeaf, addQueryLeaves } from "../../src/decompose/request.ts";
import { leafAt, paths, request, sink } from "./fixtures.ts";

describe("decompose", () => {
  test("a browser page view: path, query, cookies, headers in order, no flags", () => {
    const req = request([
      "GET /products/p41?utm_campaign=xmas-2026&lang=fr HTTP/1.1",
      "Host: shop.example.com",
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      "Referer: https://shop.example.com/",
      "Cookie: session=3f2a9c; theme=dark",
    ]);
    const d = decompose(req);
    expect(paths(d.leaves)).toEqual(["path", "query.utm_campaign", "query.lang", "cookie.session", "cookie.theme", "header.user-agent", "header.accept"]);
    expect(d.flags).toEqual([]);
  });

  test("a body is decomposed after the rest", () => {
    const d = decompose(request(["POST /api?x=1 HTTP/1.1", "Host: a", "Content-Type: application/json"], '{"q":"<x>"}'));
    expect(paths(d.leaves)).toEqual(["path", "query.x", "header.content-type", "body.json.q"]); // Content-Type carries attacks too (OGNL)
  });

  test("default limits, and limits given in part", () => {
    // The body: all a source may keep (each source bounds it by its own setting).
    expect(DEFAULT_DECOMPOSE_LIMITS).toEqual({ maxBodyBytes: MAX_KEPT_BODY_BYTES, maxLeaves: 10_000, maxDepth: 32, maxEncodingLayers: 6 });
    const many = request([`GET /?${Array.from({ length: 50 }, (_, i) => `p${i}=${i}`).join("&")} HTTP/1.1`, "Host: a"]);
    const d = decompose(many, { maxLeaves: 10 });
    // Ten leaves, then the query's values past the limit, together.
    expect(d.leaves).toHaveLength(11);
    expect(d.leaves.at(-1)).toMatchObject({ path: "query", kind: "text", text: Array.from({ length: 41 }, (_, i) => i + 9).join(" ") });
    expect(d.flags).toEqual(["too-many-leaves"]);
  });

  test("no value is ever cut", () => {
    const long = `${"x".repeat(100_000)}' or 1=1--`;
    const d = decompose(request([`GET /?q=${encodeURIComponent(long)} HTTP/1.1`, "Host: a", `X-Long: ${long}`]));
    expect(leafAt(d.leaves, "query.q").text).toBe(long);
    expect(leafAt(d.leaves, "header.x-long").text).toBe(long);
  });

  test("arbitrary requests never throw", () => {
    const text = fc.string({ unit: "binary", maxLength: 300 });
    const contentTypes = fc.constantFrom("application/json", "text/xml", "multipart/form-data; boundary=b", "application/graphql", "application/x-www-form-urlencoded", "");
    fc.assert(
      fc.property(text, text, text, contentTypes, (path, header, body, ct) => {
        const base = request(["GET / HTTP/1.1", "Host: a"]);
        const req: HttpRequest = { ...base, path, params: [{ name: header, value: body, rawName: header, rawValue: body, location: "query" }], headers: [["x-a", header], ["referer", header], ["content-type", ct]], cookies: [{ name: header, value: path }], body };
        expect(Array.isArray(decompose(req).leaves)).toBe(true);
        // decompose catches what a reader throws; the readers themselves must not throw
        const s = sink({ expand: true });
        for (const read of [addPathLeaf, addQueryLeaves, addCookieLeaves, addHeaderLeaves, addBodyLeaves]) expect(() => read(s, req)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe("past the leaf limit", () => {
  test("each part's values after the limit are still judged, together as one text: padding cannot hide a payload after it", () => {
    const keys = Array.from({ length: 20 }, (_, i) => `"k${i}":"v${i}"`).join(",");
    const body = `{${keys},"q":"1' UNION SELECT password FROM users--"}`;
    const { leaves, flags } = decompose(request(["POST /api?a=1&b=2&c=3 HTTP/1.1", "Host: a", "X-Pad: 1", "Content-Type: application/json"], body), { maxLeaves: 4 });
    expect(flags).toContain("too-many-leaves");
    // What was read one by one (the path, three query values) is not read again.
    expect(paths(leaves)).toEqual(["path", "query.a", "query.b", "query.c", "header", "body"]);
    const text = leaves.filter((l) => l.kind === "text").map((l) => [l.path, l.text]);
    expect(text).toEqual([["header", "1 application/json"], ["body", [...Array.from({ length: 20 }, (_, i) => `v${i}`), "1' UNION SELECT password FROM users--"].join(" ")]]);
  });

  test("past the limit values are read as their part decodes them: JSON escapes and form encoding hide nothing", () => {
    const pad = Array.from({ length: 20 }, (_, i) => `"k${i}":"v${i}"`).join(",");
    const json = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/json"], `{${pad},"q":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}`), { maxLeaves: 5 });
    expect(json.leaves.at(-1)!.text).toEndWith("<script>alert(1)</script>");
    const form = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/x-www-form-urlencoded"], `${Array.from({ length: 20 }, (_, i) => `k${i}=v`).join("&")}&q=%3Cscript%3E`), { maxLeaves: 5 });
    expect(form.leaves.at(-1)!.text).toEndWith("<script>");
  });

  test("past the limit a part's values are also read with their whole-text decodings: an encoded payload is not kept encoded", () => {
    const pad = Array.from({ length: 20 }, (_, i) => `"k${i}":"v${i}"`).join(",");
    const { leaves } = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/json"], `{${pad},"q":"%253Cscript%253E"}`), { maxLeaves: 5 });
    expect(leaves.slice(-3).map((l) => [l.path, l.text.split(" ").at(-1), l.encodings])).toEqual([
      ["body", "%253Cscript%253E", []],
      ["body~url", "%3Cscript%3E", ["url"]],
      ["body~url~url", "<script>", ["url", "url"]],
    ]);
  });

  test("past the limit each layer applies every decoding that changes the text: a decoy needing many layers of one uses up none of another's", () => {
    const pad = Array.from({ length: 20 }, (_, i) => `k${i}=v`).join("&");
    // The form decodes `%252525252541` once; five more URL layers would be needed, and the entity reading is the first one's.
    const { leaves } = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/x-www-form-urlencoded"], `${pad}&x=%252525252541&q=%26lt%3Bscript%26gt%3B`), { maxLeaves: 5 });
    expect(leaves.some((l) => l.path.startsWith("body~") && l.encodings.includes("html-entity") && l.text.includes("<script>"))).toBe(true);
  });

  test("under the limit nothing is read twice", () => {
    const { leaves, flags } = decompose(request(["POST /api?a=1 HTTP/1.1", "Host: a", "Content-Type: application/json"], '{"x":"y"}'));
    expect(flags).toEqual([]);
    expect(leaves.some((l) => l.kind === "text")).toBe(false);
  });
});

describe("past the leaf limit, whatever the body", () => {
  test("a GraphQL body that reaches the limit is flagged and its arguments after it judged", () => {
    const doc = `{ a(x: "1") b(y: "2") c(z: "3") d(w: "4") e(v: "<script>alert(1)</script>") }`;
    const body = JSON.stringify({ query: doc });
    const { flags, leaves } = decompose(request(["POST /graphql HTTP/1.1", "Host: a", "Content-Type: application/json"], body), { maxLeaves: 3 });
    expect(flags).toContain("too-many-leaves");
    expect(leaves.at(-1)).toMatchObject({ path: "body", kind: "text" });
    expect(leaves.at(-1)!.text).toEndWith("<script>alert(1)</script>");
  });

  test("a gzip body past the limit is read inflated, not as its compressed bytes", () => {
    const json = JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])));
    const req = request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/json", "Content-Encoding: gzip"], "");
    const { leaves } = decompose({ ...req, body: Buffer.from(gzipSync(json)).toString("latin1") }, { maxLeaves: 5 });
    expect(leaves.at(-1)).toMatchObject({ path: "body", kind: "text", text: Array.from({ length: 18 }, (_, i) => `v${i + 2}`).join(" ") });
  });

  test("past the limit a value is kept as its part decoded it, not its further readings, so none can crowd out what follows", () => {
    // The value that fills the limit is read every way (hex, base64, the pieces between its padding):
    // those readings are leaves only while there is room; past it, the values after it are all kept.
    const big = `${"41".repeat(3000)} ${Buffer.from("x".repeat(30_000)).toString("base64")} ${"z".repeat(300)} end`;
    const body = JSON.stringify({ a: "1", b: "2", big, q: "<script>alert(1)</script>" });
    const { leaves, flags } = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/json"], body), { maxLeaves: 5 });
    expect(flags).toEqual(["too-many-leaves"]);
    expect(leaves.at(-2)).toMatchObject({ path: "body.json.big", text: big });
    expect(leaves.at(-1)).toMatchObject({ path: "body", kind: "text", text: "<script>alert(1)</script>" });
  });
});

describe("a header line read again", () => {
  /** Seven URL encodings of markup: one more than the default limits undo in a value. */
  const sevenTimes = (text: string) => Array.from({ length: 7 }).reduce<string>((t) => encodeURIComponent(t), text);
  const get = (query: string, headers: string[]) => request([`GET /a?${query} HTTP/1.1`, "Host: x", ...headers]);

  test("gives the leaves and flags its first reading gave, request after request", () => {
    const headers = ["User-Agent: Mozilla/5.0 (cache test 1)", "Referer: https://x/list?page=2&q=%3Cb%3E", "X-Token: eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."];
    const first = decompose(get("id=1", headers));
    const again = decompose(get("id=2", headers));
    expect(again.leaves.filter((l) => l.location === "header")).toEqual(first.leaves.filter((l) => l.location === "header"));
    expect(first.leaves.some((l) => l.path === "header.referer.query.q" && l.text === "<b>")).toBe(true);
    expect(again.flags).toEqual(first.flags);
  });

  test("is replayed: a later request gets the very leaves an earlier one read", () => {
    const headers = ["User-Agent: Mozilla/5.0 (cache test 4)", "Referer: https://x/list?page=4"];
    // Once the memo is full (earlier tests fill it), a line is kept from its second sighting.
    decompose(get("id=0", headers));
    const first = decompose(get("id=1", headers)).leaves.filter((l) => l.location === "header");
    const again = decompose(get("id=2", headers)).leaves.filter((l) => l.location === "header");
    expect(again).toHaveLength(first.length);
    again.forEach((leaf, i) => expect(leaf).toBe(first[i]!));
  });

  test("only under the default limits: a caller's own limits read the line afresh", () => {
    const deep = "X-Twice: " + encodeURIComponent(encodeURIComponent("<b>cache test 5</b>"));
    expect(decompose(get("id=1", [deep])).flags).toEqual([]);
    expect(decompose(get("id=1", [deep]), { maxEncodingLayers: 1 }).flags).toContain("too-deep");
  });

  test("a name and a value are never taken for another line's: no separator joins them", () => {
    const base = get("id=1", []);
    const withHeader = (name: string, value: string): HttpRequest => ({ ...base, headers: [["host", "x"], [name, value]] });
    decompose(withHeader("x-a\n' union", "select password from users--"));
    const read = decompose(withHeader("x-a", "' union\nselect password from users--")).leaves;
    expect(read.find((l) => l.path === "header.x-a")?.text).toBe("' union\nselect password from users--");
  });

  test("a long line is not kept: its name counts with its value", () => {
    const long = `X-${"n".repeat(400)}: v=cache-test-6`;
    const first = decompose(get("id=1", [long])).leaves.filter((l) => l.location === "header");
    const again = decompose(get("id=1", [long])).leaves.filter((l) => l.location === "header");
    expect(again).toEqual(first);
    expect(again[0]).not.toBe(first[0]);
  });

  test("a reading that met a limit is done again each time, even when the request had raised that flag before it", () => {
    const deep = sevenTimes("<b>cache test 2</b>");
    // The query meets the encoding limit first, so the header's own meeting of it adds no new flag.
    expect(decompose(get(`q=${encodeURIComponent(deep)}`, [`X-Deep: ${deep}`])).flags).toContain("too-deep");
    expect(decompose(get("q=1", [`X-Deep: ${deep}`])).flags).toContain("too-deep");
  });

  test("is not taken past the leaf limit: what no longer fits is judged in the part's rest", () => {
    const header = "X-Probe: <script>cache test 3</script>";
    decompose(get("id=1", [header]));
    // The path and 9,999 parameters fill the limit: the header's value goes to the headers' rest.
    const full = decompose(get(Array.from({ length: DEFAULT_DECOMPOSE_LIMITS.maxLeaves - 1 }, (_, i) => `p${i}=1`).join("&"), [header]));
    expect(full.leaves).toHaveLength(DEFAULT_DECOMPOSE_LIMITS.maxLeaves + 1);
    expect(full.leaves.at(-1)).toMatchObject({ location: "header", kind: "text", text: "<script>cache test 3</script>" });
    expect(full.flags).toContain("too-many-leaves");
  });
});

describe("isReadingOf", () => {
  test("a reading derived from a value is that value's; a sibling whose name only starts the same is not", () => {
    expect(isReadingOf("query.q~base64", "query.q")).toBe(true);
    expect(isReadingOf("body.json[0].query~js-escape~unpadded", "body.json[0].query")).toBe(true);
    for (const [path, of] of [["query.q", "query.q"], ["query.qq", "query.q"], ["query.q.x", "query.q"], ["query.p~base64", "query.q"]] as const) expect([path, isReadingOf(path, of)]).toEqual([path, false]);
  });
});

describe("isBase64Reading", () => {
  test("the last reading is base64's, first or later", () => {
    for (const path of ["query.q~base64", "body.json.a~base64#3", "query.q~url~base64"]) expect([path, isBase64Reading(path)]).toEqual([path, true]);
    for (const path of ["query.q", "query.base64", "query.q~base64~json.a", "query.q~base64#2~url"]) expect([path, isBase64Reading(path)]).toEqual([path, false]);
  });
});
