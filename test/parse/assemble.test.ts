/** Log variables into a request: an absolute-form target gives its host and its origin form. */
import { expect, test } from "bun:test";
import { assembleRequest } from "../../src/parse/assemble.ts";

const target = (request: string) => {
  const r = assembleRequest({ vars: { remote_addr: "203.0.113.9", request }, origin: { source: "test" } });
  return { host: r.host, path: r.path, query: r.query };
};

test("an absolute-form target is split into host and origin form, whatever its path holds (a line separator included)", () => {
  expect(target("GET http://shop.example/p?q=1 HTTP/1.1")).toEqual({ host: "shop.example", path: "/p", query: "q=1" });
  expect(target("GET http://shop.example HTTP/1.1")).toEqual({ host: "shop.example", path: "/", query: "" });
  expect(target("GET http://shop.example/a\u2028b\nc HTTP/1.1")).toEqual({ host: "shop.example", path: "/a\u2028b\nc", query: "" });
  // A long host before a line break is read once (the pattern once backtracked over it, in quadratic time).
  const host = "a".repeat(400_000);
  expect(target(`GET http://${host}/\u2028 HTTP/1.1`).host).toBe(host);
});

test("an absolute-form target's authority is kept as the target host, beside a Host header that says otherwise", () => {
  const r = assembleRequest({ vars: { remote_addr: "203.0.113.9", request: "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1" }, headers: [["host", "shop.example"]], origin: { source: "test" } });
  expect([r.host, r.targetHost, r.path]).toEqual(["shop.example", "169.254.169.254", "/latest/meta-data/"]);
  expect(assembleRequest({ vars: { remote_addr: "203.0.113.9", request: "GET /a HTTP/1.1" }, origin: { source: "test" } }).targetHost).toBeUndefined();
  // The userinfo is no part of the host, and its credential is not kept.
  const withUser = assembleRequest({ vars: { remote_addr: "203.0.113.9", request: "GET http://user:secret@169.254.169.254/ HTTP/1.1" }, origin: { source: "test" } });
  expect([withUser.targetHost, withUser.host]).toEqual(["169.254.169.254", "169.254.169.254"]);
});

test("the cookies of every Cookie header are read (HTTP/2 clients split them; one hid a payload behind a first one)", () => {
  const r = assembleRequest({
    vars: { remote_addr: "203.0.113.9", request: "GET / HTTP/1.1" },
    headers: [["host", "shop.example"], ["cookie", "sid=1"], ["cookie", "q=;cat /etc/passwd; t=2"]],
    origin: { source: "test" },
  });
  expect(r.cookies).toEqual([{ name: "sid", value: "1" }, { name: "q", value: "" }, { name: "", value: "cat /etc/passwd" }, { name: "t", value: "2" }]);
});
