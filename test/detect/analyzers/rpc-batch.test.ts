import { describe, expect, test } from "bun:test";
import { rpcBatch } from "../../../src/detect/analyzers/rpc-batch.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { request } from "../../decompose/fixtures.ts";

const post = (type: string, body: string) => decompose(request(["POST /rpc HTTP/1.1", "Host: blog.example", `Content-Type: ${type}`, `Content-Length: ${Buffer.byteLength(body)}`], body)).leaves;
const multicall = (method: string, passwords: string[]) =>
  `<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>${passwords
    .map((p) => `<value><struct><member><name>methodName</name><value><string>${method}</string></value></member><member><name>params</name><value><array><data><value><string>admin</string></value><value><string>${p}</string></value></data></array></value></member></struct></value>`)
    .join("")}</data></array></value></param></params></methodCall>`;
const jsonRpc = (method: string, n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", method, params: { user: "admin", password: `p${i}` }, id: i })));
const rules = (leaves: ReturnType<typeof post>) => rpcBatch(leaves).map((f) => [f.finding.rule, f.finding.strength]);

describe("rpc batch: one sign-in method called over and over in one request", () => {
  test("XML-RPC's system.multicall and a JSON-RPC batch of sign-ins are a guessing batch from three calls", () => {
    expect(rules(post("text/xml", multicall("wp.getUsersBlogs", ["a1", "b2", "c3"])))).toEqual([["rpc.sign-in-batch", 0.85]]);
    expect(rules(post("application/json", jsonRpc("auth.login", 3)))).toEqual([["rpc.sign-in-batch", 0.85]]);
  });
  test("two calls, other methods, and an analytics batch of login events are none", () => {
    expect(rules(post("text/xml", multicall("wp.getUsersBlogs", ["a1", "b2"])))).toEqual([]);
    expect(rules(post("application/json", jsonRpc("posts.list", 5)))).toEqual([]);
    expect(rules(post("application/json", JSON.stringify({ events: [{ event: "login" }, { event: "login" }, { event: "login" }] })))).toEqual([]);
  });
});
