import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { decompose } from "../../../src/decompose/index.ts";
import { addProtobufLeaves, protobufFraming } from "../../../src/decompose/body/protobuf.ts";
import { request, sink } from "../fixtures.ts";

/** A varint's bytes. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  return [...out, n];
}
/** Protobuf fields: a string or a nested message (length-delimited) or a number (varint). */
type Value = string | number | Buffer;
function message(fields: [number, Value][]): Buffer {
  return Buffer.concat(fields.map(([n, v]) => {
    if (typeof v === "number") return Buffer.from([...varint(n * 8), ...varint(v)]);
    const bytes = typeof v === "string" ? Buffer.from(v) : v;
    return Buffer.concat([Buffer.from([...varint(n * 8 + 2), ...varint(bytes.length)]), bytes]);
  }));
}
/** gRPC frames: a flag byte (1 = compressed), a four-byte length, the message. */
function frames(...messages: [Buffer, number?][]): Buffer {
  return Buffer.concat(messages.map(([m, flag = 0]) => {
    const head = Buffer.alloc(5);
    head[0] = flag;
    head.writeUInt32BE(m.length, 1);
    return Buffer.concat([head, m]);
  }));
}
const PAYLOAD = "1' UNION SELECT password FROM users--";
const SEARCH = message([[1, "shoes"], [2, 20], [3, message([[1, PAYLOAD], [2, "Zoë's café"]])]]);
const leavesOf = (contentType: string, body: string) => decompose(request(["POST /shop.v1.Catalog/Search HTTP/2", "Host: a", `Content-Type: ${contentType}`], body)).leaves;
const texts = (contentType: string, body: string) => leavesOf(contentType, body).filter((l) => l.path.startsWith("body.protobuf")).map((l) => [l.path, l.text]);

describe("protobuf bodies", () => {
  test("gRPC and gRPC-Web frames, and a bare message: text fields are leaves by field number, nested messages walked", () => {
    const expected = [["body.protobuf.1", "shoes"], ["body.protobuf.3.1", PAYLOAD], ["body.protobuf.3.2", "Zoë's café"]];
    const framed = frames([SEARCH]).toString("latin1");
    for (const type of ["application/grpc", "application/grpc+proto", "application/grpc-web", "application/grpc-web+proto; charset=utf-8"]) {
      expect([type, texts(type, framed)]).toEqual([type, expected]);
    }
    expect(texts("application/x-protobuf", SEARCH.toString("latin1"))).toEqual(expected);
    expect(texts("application/vnd.google.protobuf", SEARCH.toString("latin1"))).toEqual(expected);
    // The body's UTF-8 as a source hands it over (the message is valid UTF-8 here).
    expect(texts("application/grpc", frames([SEARCH]).toString("utf8"))).toEqual(expected);
  });

  test("grpc-web-text (base64 chunks, each padded), a frame flagged compressed, several messages and gRPC-Web's trailers", () => {
    const two = message([[1, "<script>alert(1)</script>"]]);
    const text = frames([SEARCH]).toString("base64") + frames([two]).toString("base64");
    expect(texts("application/grpc-web-text", text).map(([p]) => p)).toEqual(["body.protobuf.1", "body.protobuf.3.1", "body.protobuf.3.2", "body.protobuf.1"]);
    expect(texts("application/grpc", frames([gzipSync(two), 1]).toString("latin1"))).toEqual([["body.protobuf.1", "<script>alert(1)</script>"]]);
    expect(texts("application/grpc-web", frames([two], [Buffer.from("grpc-status: 0\r\n"), 0x80]).toString("latin1"))).toEqual([["body.protobuf.1", "<script>alert(1)</script>"]]);
  });

  test("the body as sent is judged too; bytes that are no protobuf add nothing and the body is judged as sent, flagged", () => {
    expect(leavesOf("application/grpc", frames([SEARCH]).toString("latin1")).some((l) => l.path === "body")).toBe(true);
    const junk = decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: application/x-protobuf"], "hello, this is no protobuf"));
    expect(junk.leaves.filter((l) => l.path.startsWith("body.protobuf"))).toEqual([]);
    expect(junk.flags).toContain("body-unparsed");
    expect(protobufFraming("application/json")).toBeNull();
  });

  test("a hostile message costs no throw and no unbounded work: lengths past the end, nesting past the limit, a varint of eleven bytes", () => {
    const s = sink({ limits: { maxDepth: 8 } });
    let deep = message([[1, PAYLOAD]]);
    for (let i = 0; i < 200; i++) deep = message([[1, deep]]);
    expect(addProtobufLeaves(s, deep.toString("latin1"), "message")).toBe(true);
    expect(s.leaves.every((l) => l.path.split(".").length <= 2 + 8)).toBe(true);
    for (const bad of ["\x0a\xff\xff\xff\xff\x0f", "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "\x0b\x0c", "\x00\x00\x00\x00\xff"]) {
      expect(addProtobufLeaves(sink(), bad, "message")).toBe(false);
    }
    expect(addProtobufLeaves(sink(), "\x00\xff\xff\xff\xff\x0a\x01a", "grpc")).toBe(true);
    // A message nested twenty times gives its text once, not once a level; past the nesting limit, it is flagged.
    let nested = message([[1, "x".repeat(100_000)]]);
    for (let i = 0; i < 20; i++) nested = message([[1, nested]]);
    const once = sink();
    addProtobufLeaves(once, nested.toString("latin1"), "message");
    expect(once.leaves.reduce((n, l) => n + l.text.length, 0)).toBe(100_000);
    for (let i = 0; i < 20; i++) nested = message([[1, nested]]);
    const tooDeep = sink();
    addProtobufLeaves(tooDeep, nested.toString("latin1"), "message");
    expect(tooDeep.flags).toContain("too-deep");
    // Text at the nesting limit is still a leaf, though it parses as a message too (`hi`: field 13, a varint).
    const atLimit = sink({ limits: { maxDepth: 2 } });
    addProtobufLeaves(atLimit, message([[1, message([[1, "hi"]])]]).toString("latin1"), "message");
    expect(atLimit.leaves.map((l) => [l.path, l.text])).toEqual([["body.protobuf.1.1", "hi"]]);
    // Compressed frames inflate within the request's budget, however many there are.
    const bomb = gzipSync(message([[1, "A".repeat(8 << 20)]]));
    const framed = decompose(request(["POST /x HTTP/1.1", "Host: a", "Content-Type: application/grpc"], frames([bomb, 1], [bomb, 1], [bomb, 1], [bomb, 1]).toString("latin1")));
    expect(framed.leaves.reduce((n, l) => n + l.text.length, 0)).toBeLessThan(8 << 20);
    expect(() => addProtobufLeaves(sink(), "A".repeat(100_000), "grpc-text")).not.toThrow();
  });
});
