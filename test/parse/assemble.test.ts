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
