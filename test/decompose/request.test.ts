import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { decompose } from "../../src/decompose/index.ts";
import { addCookieLeaves, addHeaderLeaves, addPathLeaf, addQueryLeaves } from "../../src/decompose/request.ts";
import { leafAt, paths, request, sink } from "./fixtures.ts";

describe("path and query", () => {
  test("the path is decoded once and kept whole; a segment with escapes is also the value a route reads", () => {
    const s = sink();
    addPathLeaf(s, request(["GET /files/..%2F..%252Fetc/passwd;x=1 HTTP/1.1", "Host: x"]));
    expect(s.leaves).toEqual([
      { location: "path", path: "path", name: "", text: "/files/../..%2Fetc/passwd;x=1", kind: "path", encodings: [] },
      { location: "path", path: "path.segment[2]", name: "", text: "../..%2Fetc", kind: "value", encodings: [] },
    ]);
  });

  test("route values: each escaped segment by its position, none for a path without escapes, a repeated text once, no cap", () => {
    const s = sink();
    addPathLeaf(s, request(["GET /files/%2Fvar%2Flog%2Fauth.log/view/net%20view HTTP/1.1", "Host: x"]));
    expect(paths(s.leaves)).toEqual(["path", "path.segment[2]", "path.segment[4]"]);
    expect(leafAt(s.leaves, "path.segment[2]").text).toBe("/var/log/auth.log");
    expect(leafAt(s.leaves, "path.segment[4]").text).toBe("net view");
    const plain = sink();
    addPathLeaf(plain, request(["GET /files/report.pdf/view HTTP/1.1", "Host: x"]));
    expect(paths(plain.leaves)).toEqual(["path"]);
    // Escaped filler first cannot push a payload out of sight; the same filler repeated is one leaf.
    const padded = sink();
    addPathLeaf(padded, request([`GET /${Array.from({ length: 40 }, (_, i) => `a%20${i}`).join("/")}/${"x%20/".repeat(30)}cat%20%2Fetc%2Fpasswd HTTP/1.1`, "Host: x"]));
    expect(padded.leaves).toHaveLength(1 + 40 + 1 + 1);
    expect(padded.leaves.at(-1)!).toMatchObject({ path: "path.segment[71]", text: "cat /etc/passwd" });
    // A request target without a leading slash: its first segment is one too.
    const bare = sink();
    addPathLeaf(bare, request(["GET ..%2f..%2fetc%2fpasswd HTTP/1.1", "Host: x"]));
    expect(leafAt(bare.leaves, "path.segment[0]").text).toBe("../../etc/passwd");
  });

  test("query values as query.<name>; names that are not plain words as key leaves too", () => {
    const s = sink();
    addQueryLeaves(s, request(["GET /?id=1%27+or+1%3D1&user[$ne]=x&%3Cb%3E=1&utm_source=mail HTTP/1.1", "Host: x"]));
    expect(leafAt(s.leaves, "query.id")).toEqual({ location: "query", path: "query.id", name: "id", text: "1' or 1=1", kind: "value", encodings: [] });
    expect(leafAt(s.leaves, "query.user[$ne]", "key").text).toBe("user[$ne]");
    expect(leafAt(s.leaves, "query.<b>", "key").text).toBe("<b>");
    expect(s.leaves.filter((l) => l.kind === "key")).toHaveLength(2);
  });

  test("a query piece whose name is no plain word is also a value, whole, as an application reading its query string as sent sees it", () => {
    const s = sink();
    addQueryLeaves(s, request(["GET /cgi-bin/view?../../etc/passwd&x=1&debug&'%20or%201=1-- HTTP/1.1", "Host: x"]));
    expect(leafAt(s.leaves, "query.../../etc/passwd~bare")).toMatchObject({ kind: "value", text: "../../etc/passwd" });
    expect(leafAt(s.leaves, "query.' or 1~bare")).toMatchObject({ kind: "value", text: "' or 1=1--" });
    // Plain names (a flag, a parameter) are read as they are.
    expect(paths(s.leaves).filter((p) => p.endsWith("~bare"))).toHaveLength(2);
  });

  test("GraphQL over GET: a `query` parameter that parses is a document", () => {
    const s = sink();
    addQueryLeaves(s, request([`GET /graphql?query=${encodeURIComponent('{ user(name: "<x>") { id } }')} HTTP/1.1`, "Host: x"]));
    expect(leafAt(s.leaves, "query.query", "graphql").location).toBe("query");
    expect(leafAt(s.leaves, "query.query.user.name").text).toBe("<x>");
  });
});

describe("cookies", () => {
  test("cookie.<name>, percent-decoded once", () => {
    const s = sink();
    addCookieLeaves(s, request(["GET / HTTP/1.1", "Host: x", "Cookie: sid=abc; pref=%27%20or%201%3D1; $Version=1"]));
    expect(paths(s.leaves)).toEqual(["cookie.sid", "cookie.pref", "cookie.$Version", "cookie.$Version"]);
    expect(leafAt(s.leaves, "cookie.pref").text).toBe("' or 1=1");
  });
});

describe("headers", () => {
  const req = request([
    "GET / HTTP/1.1",
    "Host: shop.example.com:8080",
    "User-Agent: () { :; }; /bin/bash -c id",
    "Accept: <script>alert(1)</script>",
    "X-Forwarded-For: 1' AND SLEEP(5)--",
    "Accept-Language: en-US,en;q=0.9",
    "Content-Length: 0",
    "Connection: close",
    "Cookie: a=1",
    "Referer: http://127.0.0.1:8080/list?page=2%27",
    "Origin: http://127.0.0.1:8080",
  ]);

  test("every header that can carry client text is a leaf; a plain host, framing and cookie are not", () => {
    const s = sink();
    addHeaderLeaves(s, req);
    expect(paths(s.leaves)).toEqual(["header.user-agent", "header.accept", "header.x-forwarded-for", "header.accept-language", "header.referer.path", "header.referer.query.page"]);
    expect(leafAt(s.leaves, "header.accept")).toMatchObject({ location: "header", name: "accept", text: "<script>alert(1)</script>" });
  });

  test("a Host that is no host name (an address, anything else) is judged; a name, with a port or not, is not", () => {
    const hostLeaves = (host: string) => {
      const s = sink();
      addHeaderLeaves(s, request(["GET / HTTP/1.1", `Host: ${host}`]));
      return s.leaves.map((l) => [l.path, l.text]);
    };
    for (const plain of ["shop.example.com", "localhost:8080", "localhost", "xn--bcher-kva.example.", "api.v2.example.co.uk."]) expect(hostLeaves(plain)).toEqual([]);
    // An address: `Host: 169.254.169.254` asks a proxy that routes by Host for the metadata service.
    for (const odd of ["169.254.169.254", "127.0.0.1:18490", "[::1]:8080", "ELT(8030=8030,SLEEP(5))", "127.0.0.1:18490'IakkvP<'\">MXsIyU", "<script>alert(1)</script>", "a.example.com/x"]) expect(hostLeaves(odd)).toEqual([["header.host", odd]]);
  });

  test("an absolute-form target's authority is judged as the Host it is, whatever the Host header says", () => {
    const hostLeaves = (line: string) => {
      const s = sink();
      addHeaderLeaves(s, request([line, "Host: shop.example"]));
      return s.leaves.map((l) => [l.path, l.text]);
    };
    expect(hostLeaves("GET http://169.254.169.254/latest/meta-data/ HTTP/1.1")).toEqual([["header.host", "169.254.169.254"]]);
    expect(hostLeaves("GET http://0xa9fea9fe/ HTTP/1.1")).toEqual([["header.host", "0xa9fea9fe"]]);
    for (const plain of ["GET http://localhost:8080/tienda1/ HTTP/1.1", "GET http://shop.example/a HTTP/1.1", "GET /a HTTP/1.1"]) expect(hostLeaves(plain)).toEqual([]);
    // Without its userinfo; once when the Host header says the same; also with no Host header at all.
    expect(hostLeaves("GET http://user:secret@169.254.169.254/ HTTP/1.1")).toEqual([["header.host", "169.254.169.254"]]);
    const once = sink();
    addHeaderLeaves(once, request(["GET http://169.254.169.254/ HTTP/1.1", "Host: 169.254.169.254"]));
    expect(once.leaves.map((l) => l.path)).toEqual(["header.host"]);
    const bare = sink();
    addHeaderLeaves(bare, request(["GET http://169.254.169.254/ HTTP/1.1"]));
    expect(bare.leaves.map((l) => [l.path, l.text])).toEqual([["header.host", "169.254.169.254"]]);
  });

  test("the Referer's query is judged like the site's own; the Referer and Origin URLs are not leaves", () => {
    const s = sink();
    addHeaderLeaves(s, req);
    expect(leafAt(s.leaves, "header.referer.query.page")).toMatchObject({ location: "header", name: "page", text: "2'" });
    expect(paths(s.leaves).some((p) => p === "header.referer" || p.startsWith("header.origin"))).toBe(false);
  });
});

describe("header lines read again", () => {
  test("a line whose reading inflated a compressed run is read again each time, within the request's budget", () => {
    // A short line of gzip in base64 that inflates to 120 KB, sent 100 times: replayed from the memo
    // of header lines, it would bring 12 MB past the budget of 1 MiB a request.
    const value = gzipSync(`' UNION SELECT 1-- ${"a".repeat(120_000)}`).toString("base64");
    const lines = Array.from({ length: 100 }, () => `X-State: ${value}`);
    for (let round = 0; round < 2; round++) {
      const d = decompose(request(["GET / HTTP/1.1", "Host: x", ...lines]));
      expect(d.leaves.reduce((n, l) => n + l.text.length, 0)).toBeLessThan(3 << 20);
      expect(d.flags).toContain("too-deep");
    }
  });
});
