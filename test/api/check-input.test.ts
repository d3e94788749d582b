import { describe, expect, test } from "bun:test";
import { checkInputProblem, decodeBody, parseBatchBody, parseCheckBody, toHttpRequest, type CheckInputT } from "../../src/api/check-input.ts";
import { ApiError } from "../../src/api/envelope.ts";
import { headerValue } from "../../src/core/http-request.ts";

const NOW = Date.UTC(2026, 10, 24, 12, 0);
const LIMITS = { maxCheckBytes: 200, maxBatchItems: 3 };

/** The ApiError a call throws, as status and message. */
function rejection(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, message: e.message };
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("decoding the body", () => {
  test("JSON by content type or by its first character, raw HTTP text otherwise", () => {
    expect(decodeBody('{"method":"GET"}', "application/json")).toEqual({ method: "GET" });
    expect(decodeBody('{"method":"GET"}', "application/vnd.api+json; charset=utf-8")).toEqual({ method: "GET" });
    expect(decodeBody('  {"method":"GET"}', null)).toEqual({ method: "GET" });
    expect(decodeBody('"GET / HTTP/1.1"', "text/plain")).toBe("GET / HTTP/1.1");
    expect(decodeBody("GET / HTTP/1.1\r\n\r\n", "message/http")).toBe("GET / HTTP/1.1\r\n\r\n");
    expect(decodeBody("GET / HTTP/1.1", null)).toBe("GET / HTTP/1.1");
  });

  test("a JSON content type with a body that is not JSON is a 400", () => {
    expect(rejection(() => decodeBody("GET / HTTP/1.1", "application/json"))).toEqual({ status: 400, message: "the body is not valid JSON" });
    expect(rejection(() => decodeBody('{"method":', null))).toEqual({ status: 400, message: "the body is not valid JSON" });
  });
});

describe("validating a check", () => {
  test("a check request object or a raw request string passes", () => {
    expect(checkInputProblem({ method: "GET", path: "/" })).toBeNull();
    expect(checkInputProblem({ method: "POST", path: "/a?b=1", query_params: { c: ["1", 2, true] }, headers: { Cookie: "s=1" }, body: { x: [1] }, client_ip: "203.0.113.7" })).toBeNull();
    expect(checkInputProblem("GET / HTTP/1.1")).toBeNull();
  });

  test("the message names the field and says what it must be", () => {
    expect(checkInputProblem({ path: "/" })).toBe("method is missing");
    expect(checkInputProblem({ method: "GET" })).toBe("path is missing");
    expect(checkInputProblem({ method: 7, path: "/" })).toBe("method must be an HTTP method token such as GET");
    expect(checkInputProblem({ method: "GET /", path: "/" })).toBe("method must be an HTTP method token such as GET");
    expect(checkInputProblem({ method: "GET", path: "" })).toBe("path must be a non-empty request target such as /search (a ?query in it is kept)");
    expect(checkInputProblem({ method: "GET", path: "/", query_params: { q: { nested: 1 } } })).toBe("query_params.q must be a string, number or boolean, or an array of them (a repeated name)");
    expect(checkInputProblem({ method: "GET", path: "/", headers: ["a"] })).toBe("headers must be an object of request headers (name → value or values)");
    expect(checkInputProblem(42)).toBe("expected a check request object { method, path, ... } or a raw HTTP request as a string");
    expect(checkInputProblem([])).toBe("expected a check request object { method, path, ... } or a raw HTTP request as a string");
    expect(checkInputProblem("  ")).toBe("the raw HTTP request is empty");
  });

  test("one check: size limit (413), empty body and bad fields (400)", () => {
    expect(parseCheckBody('{"method":"GET","path":"/"}', "application/json", LIMITS)).toEqual({ method: "GET", path: "/" });
    // Bytes, not characters: 114 characters, 214 bytes.
    expect(rejection(() => parseCheckBody(`GET /${"é".repeat(100)} HTTP/1.1`, "text/plain", LIMITS))).toEqual({ status: 413, message: "the check request is 214 bytes; at most 200 are accepted" });
    expect(rejection(() => parseCheckBody(" \n", "text/plain", LIMITS)).status).toBe(400);
    expect(rejection(() => parseCheckBody('{"method":"GET"}', "application/json", LIMITS))).toEqual({ status: 400, message: "path is missing" });
  });

  test("a batch: an array, at most maxBatchItems (413), each item checked and named by its index", () => {
    expect(parseBatchBody('[{"method":"GET","path":"/"},"GET / HTTP/1.1"]', "application/json", LIMITS)).toEqual([{ method: "GET", path: "/" }, "GET / HTTP/1.1"]);
    expect(parseBatchBody("[]", "application/json", LIMITS)).toEqual([]);
    expect(rejection(() => parseBatchBody('{"method":"GET","path":"/"}', "application/json", LIMITS))).toEqual({ status: 400, message: "a batch must be a JSON array of check requests" });
    expect(rejection(() => parseBatchBody("GET / HTTP/1.1", "text/plain", LIMITS))).toEqual({ status: 400, message: "a batch must be a JSON array of check requests" });
    expect(rejection(() => parseBatchBody('["a","b","c","d"]', "application/json", LIMITS))).toEqual({ status: 413, message: "a batch holds at most 3 check requests; got 4" });
    expect(rejection(() => parseBatchBody('[{"method":"GET","path":"/"},{"method":"GET","path":1}]', "application/json", LIMITS))).toEqual({ status: 400, message: "item 1: path must be a non-empty request target such as /search (a ?query in it is kept)" });
    expect(rejection(() => parseBatchBody(JSON.stringify(["GET / HTTP/1.1", { method: "GET", path: `/${"a".repeat(300)}` }]), "application/json", LIMITS)).status).toBe(413);
    expect(rejection(() => parseBatchBody(JSON.stringify(["GET / HTTP/1.1", { method: "GET", path: `/${"a".repeat(300)}` }]), "application/json", LIMITS)).message).toStartWith("item 1: the check request is ");
  });
});

describe("a check request object becomes an HttpRequest", () => {
  test("query parameters are encoded in order, repeated names kept, and decoded back as sent", () => {
    const r = toHttpRequest({ method: "GET", path: "/search", query_params: { q: "' OR 1=1 --", tag: ["a&b", "c"], page: 2, all: true } }, NOW);
    expect(r.method).toBe("GET");
    expect(r.path).toBe("/search");
    expect(r.params.map((p) => [p.name, p.value])).toEqual([["q", "' OR 1=1 --"], ["tag", "a&b"], ["tag", "c"], ["page", "2"], ["all", "true"]]);
    expect(r.query).toBe("q='%20OR%201%3D1%20--&tag=a%26b&tag=c&page=2&all=true");
    expect(r.params.every((p) => p.location === "query")).toBe(true);
  });

  test("a query in the path is kept and the parameters are appended to it", () => {
    expect(toHttpRequest({ method: "GET", path: "/a?x=1", query_params: { y: "2" } }, NOW).query).toBe("x=1&y=2");
    expect(toHttpRequest({ method: "GET", path: "/a?", query_params: { y: "2" } }, NOW).query).toBe("y=2");
    expect(toHttpRequest({ method: "GET", path: "/a?x=1" }, NOW).params.map((p) => p.value)).toEqual(["1"]);
  });

  test("headers are lower-cased, repeated ones kept; host, user agent, referer and cookies come from them", () => {
    const r = toHttpRequest({ method: "GET", path: "/", headers: { Host: "shop.test", "User-Agent": "curl/8", Referer: "https://x.test/", Cookie: "sid=1; theme=dark", Accept: ["text/html", "*/*"] } }, NOW);
    expect(r.host).toBe("shop.test");
    expect(r.userAgent).toBe("curl/8");
    expect(r.referer).toBe("https://x.test/");
    expect(r.cookies).toEqual([{ name: "sid", value: "1" }, { name: "theme", value: "dark" }]);
    expect(r.headers.filter(([n]) => n === "accept").map(([, v]) => v)).toEqual(["text/html", "*/*"]);
  });

  test("a string body is kept as sent (form bodies become parameters); a JSON value is sent as JSON", () => {
    const form = toHttpRequest({ method: "POST", path: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "user=admin%27--&pw=x" }, NOW);
    expect(form.body).toBe("user=admin%27--&pw=x");
    expect(form.params.filter((p) => p.location === "body").map((p) => [p.name, p.value])).toEqual([["user", "admin'--"], ["pw", "x"]]);
    expect(toHttpRequest({ method: "POST", path: "/api", body: { filter: { $where: "1" } } }, NOW).body).toBe('{"filter":{"$where":"1"}}');
    expect(toHttpRequest({ method: "GET", path: "/", body: null }, NOW).body).toBeNull();
  });

  test("the client address is client_ip, else the request's X-Real-IP or first X-Forwarded-For hop", () => {
    expect(toHttpRequest({ method: "GET", path: "/", client_ip: "203.0.113.9", headers: { "x-real-ip": "198.51.100.1" } }, NOW).clientIp).toBe("203.0.113.9");
    expect(toHttpRequest({ method: "GET", path: "/", headers: { "X-Forwarded-For": "198.51.100.2, 10.0.0.1" } }, NOW).clientIp).toBe("198.51.100.2");
    expect(toHttpRequest({ method: "GET", path: "/" }, NOW).clientIp).toBe("");
  });

  test("inline origin, received now; lone surrogates (valid JSON) do not throw", () => {
    const r = toHttpRequest({ method: "GET", path: "/", query_params: { q: "\ud800x" } }, NOW);
    expect(r.origin).toEqual({ source: "inline" });
    expect(r.time).toBe(NOW);
    expect(r.params[0]!.value).toBe("\ufffdx");
  });
});

describe("a raw HTTP request becomes an HttpRequest", () => {
  const raw = "POST /login?next=/home HTTP/1.1\r\nHost: shop.test\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Forwarded-For: 203.0.113.5\r\n\r\nuser=a&pw=%3Cscript%3E";

  test("request line, headers, query and form body", () => {
    const r = toHttpRequest(raw, NOW);
    expect([r.method, r.path, r.query, r.protocol, r.host]).toEqual(["POST", "/login", "next=/home", "HTTP/1.1", "shop.test"]);
    expect(r.params.map((p) => [p.location, p.name, p.value])).toEqual([["query", "next", "/home"], ["body", "user", "a"], ["body", "pw", "<script>"]]);
    expect(headerValue(r, "content-type")).toBe("application/x-www-form-urlencoded");
    expect(r.clientIp).toBe("203.0.113.5");
    expect(r.origin).toEqual({ source: "inline" });
    expect(r.time).toBe(NOW);
  });

  test("leading blank lines are skipped; text that is not a request is a 400 that says why", () => {
    expect(toHttpRequest("\n\nGET /x HTTP/1.0\n\n", NOW).path).toBe("/x");
    const notRequest = rejection(() => toHttpRequest("hello world" as CheckInputT, NOW));
    expect(notRequest.status).toBe(400);
    expect(notRequest.message).toStartWith("not a raw HTTP request: not an HTTP request line");
    expect(rejection(() => toHttpRequest("GET / HTTP/1.1\nnot a header\n\n", NOW)).message).toContain("is not a header");
  });
});
