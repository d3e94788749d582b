import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { addBodyLeaves, claimedFormat, sniffFormat } from "../../../src/decompose/body/index.ts";
import { leafAt, paths, request, sink } from "../fixtures.ts";

function bodyLeaves(contentType: string | null, body: string, options: { headers?: string[]; limits?: object } = {}) {
  const head = ["POST /api HTTP/1.1", "Host: x", ...(contentType ? [`Content-Type: ${contentType}`] : []), ...(options.headers ?? [])];
  const req = { ...request(head), body };
  const s = sink({ limits: options.limits });
  addBodyLeaves(s, req);
  return s;
}

describe("body formats", () => {
  test("Content-Type claims", () => {
    expect(claimedFormat("application/x-www-form-urlencoded; charset=UTF-8")).toBe("urlencoded");
    expect(claimedFormat("multipart/form-data; boundary=x")).toBe("multipart");
    expect(claimedFormat("application/vnd.api+json")).toBe("json");
    expect(claimedFormat("application/soap+xml; charset=utf-8")).toBe("xml");
    expect(claimedFormat("text/xml")).toBe("xml");
    expect(claimedFormat("application/graphql")).toBe("graphql");
    expect(claimedFormat("text/plain")).toBe("text");
  });

  test("sniffing", () => {
    expect(sniffFormat(' {"a":1}')).toBe("json");
    expect(sniffFormat("<a>1</a>")).toBe("xml");
    expect(sniffFormat("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--")).toBe("multipart");
    expect(sniffFormat("query { me { id } }")).toBe("graphql");
    expect(sniffFormat("a=1&b=%3Cx%3E")).toBe("urlencoded");
    expect(sniffFormat("hello world")).toBe("text");
  });
});

describe("addBodyLeaves", () => {
  test("urlencoded: the request's body params as body.<name>", () => {
    const req = request(["POST /login HTTP/1.1", "Host: x", "Content-Type: application/x-www-form-urlencoded"], "user=admin%27--&%3Cx%3E=1");
    const s = sink();
    addBodyLeaves(s, req);
    expect(leafAt(s.leaves, "body.user")).toMatchObject({ location: "body", text: "admin'--", kind: "value" });
    expect(leafAt(s.leaves, "body.<x>", "key").text).toBe("<x>");
  });

  test("JSON with a GraphQL query and variables", () => {
    const body = JSON.stringify({ query: 'query Q($id: ID!) { user(id: $id, name: "x\' or 1=1") { name } }', variables: { id: "1 UNION SELECT 1" } });
    const s = bodyLeaves("application/json", body);
    expect(leafAt(s.leaves, "body.json.query", "graphql").text).toContain("query Q");
    expect(leafAt(s.leaves, "body.json.query.Q.user.name").text).toBe("x' or 1=1");
    expect(leafAt(s.leaves, "body.json.variables.id").text).toBe("1 UNION SELECT 1");
    expect(s.flags).toEqual([]);
  });

  test("JSON lines (NDJSON, Sentry's envelopes, Elasticsearch's bulk API): each line a document of its own", () => {
    const body = '{"event_id":"abc"}\n{"type":"event"}\r\n\n{"extra":{"src":"<script>alert(1)</script>"}}\n';
    for (const type of ["application/x-ndjson", "text/plain;charset=UTF-8", "application/x-sentry-envelope", "application/json", null]) {
      const s = bodyLeaves(type, body);
      expect([type, paths(s.leaves)]).toEqual([type, ["body.json[0].event_id", "body.json[1].type", "body.json[2].extra.src"]]);
      expect(s.flags).toEqual([]);
    }
    expect(leafAt(bodyLeaves(null, '{"index":{}}\n{"q":"1 union select 1"}').leaves, "body.json[1].q").text).toBe("1 union select 1");
    // A line that is no document: the body is its text (and, claimed JSON, unparsed); one line is one document.
    const broken = bodyLeaves("application/json", '{"a":"x"}\nnot json\n{"b":"y"}');
    expect([paths(broken.leaves), broken.flags]).toEqual([["body"], ["body-unparsed"]]);
    expect(paths(bodyLeaves("text/plain", '{"a":"x"}\n').leaves)).toEqual(["body.json.a"]);
  });

  test("a `query` string that is not GraphQL stays a plain value", () => {
    const s = bodyLeaves("application/json", '{"query":"red shoes"}');
    expect(leafAt(s.leaves, "body.json.query").kind).toBe("value");
  });

  test("application/graphql and SOAP bodies", () => {
    expect(leafAt(bodyLeaves("application/graphql", '{ a(x: "<svg>") { b } }').leaves, "body.graphql.a.x").text).toBe("<svg>");
    const soap = bodyLeaves("text/xml", '<s:Envelope xmlns:s="u"><s:Body><q>1;ls</q></s:Body></s:Envelope>');
    expect(leafAt(soap.leaves, "body.xml.s:Envelope.s:Body.q").text).toBe("1;ls");
  });

  test("a multipart body with a filename carrying <script>", () => {
    const body = '--XB\r\nContent-Disposition: form-data; name="f"; filename="<script>alert(1)</script>.jpg"\r\n\r\ndata\r\n--XB--\r\n';
    const s = bodyLeaves("multipart/form-data; boundary=XB", body);
    expect(leafAt(s.leaves, "body.multipart.f.filename", "filename").text).toBe("<script>alert(1)</script>.jpg");
    expect(s.flags).toEqual([]);
  });

  test("a wrong or missing Content-Type: the body is sniffed", () => {
    expect(leafAt(bodyLeaves("application/x-www-form-urlencoded", '{"a":"<x>"}').leaves, "body.json.a").text).toBe("<x>");
    expect(leafAt(bodyLeaves(null, '{"a":"<x>"}').leaves, "body.json.a").text).toBe("<x>");
    expect(leafAt(bodyLeaves("text/plain", "a=1&b=%27").leaves, "body.b").text).toBe("'");
    expect(leafAt(bodyLeaves(null, "--XB\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XB--").leaves, "body.multipart.f").text).toBe("v");
  });

  test("a body without Content-Type that opens with `name=` is a form, raw spaces and line breaks in its values included", () => {
    const s = bodyLeaves(null, "cmd=cat /etc/passwd&next=a+b%27\r\nmore");
    expect(leafAt(s.leaves, "body.cmd").text).toBe("cat /etc/passwd");
    expect(leafAt(s.leaves, "body.next").text).toBe("a b'\r\nmore");
    expect(s.leaves.some((l) => l.kind === "text")).toBe(false);
  });

  test("what only looks like a form stays text: a base64 blob, a line protocol, prose", () => {
    for (const body of ["SGVsbG8gd29ybGQ=", "cpu,host=a usage=0.5 1700000000", "Note: x=1 is the answer", "eval($foo)"]) {
      expect(sniffFormat(body)).toBe("text");
      expect(leafAt(bodyLeaves(null, body).leaves, "body", "text").text).toBe(body);
    }
  });

  test("a form Content-Type on an XML or multipart body: read as what it is", () => {
    const xml = bodyLeaves("application/x-www-form-urlencoded", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>');
    expect(xml.leaves.some((l) => l.kind === "xml-doctype")).toBe(true);
    const multipart = bodyLeaves("application/x-www-form-urlencoded", '--XB\r\nContent-Disposition: form-data; name="f"\r\n\r\n;id\r\n--XB--');
    expect(leafAt(multipart.leaves, "body.multipart.f").text).toBe(";id");
  });

  test("multipart whose Content-Type names another boundary, or none and a blank line first: the body's own boundary", () => {
    const body = '\r\n--real\r\nContent-Disposition: form-data; name="f"\r\n\r\n<x>\r\n--real--\r\n';
    expect(leafAt(bodyLeaves("multipart/form-data; boundary=other", body).leaves, "body.multipart.f").text).toBe("<x>");
    expect(sniffFormat(body)).toBe("multipart");
    // An empty multipart (only its closing delimiter) is not re-read with a boundary made of that delimiter.
    const empty = bodyLeaves("multipart/form-data; boundary=----WebKitFormBoundary", "------WebKitFormBoundary--\r\n");
    expect(paths(empty.leaves)).toEqual(["body"]);
  });

  test("a structure claimed and not there: what can be read, the body as text, and body-unparsed", () => {
    const bad = bodyLeaves("application/json", '{"a": "<script>", ');
    expect(paths(bad.leaves)).toEqual(["body"]);
    expect(leafAt(bad.leaves, "body", "text").text).toBe('{"a": "<script>", ');
    expect(bad.flags).toEqual(["body-unparsed"]);
    expect(bodyLeaves("application/xml", "plain words").flags).toEqual(["body-unparsed"]);
    expect(bodyLeaves("application/graphql", "{ a( }").flags).toEqual(["body-unparsed"]);
    const unclosed = bodyLeaves("multipart/form-data; boundary=XB", '--XB\r\nContent-Disposition: form-data; name="f"\r\n\r\nv');
    expect(leafAt(unclosed.leaves, "body.multipart.f").text).toBe("v");
    expect(unclosed.flags).toEqual(["body-unparsed"]);
    expect(bodyLeaves("multipart/form-data; boundary=XB", "no parts at all").flags).toEqual(["body-unparsed"]);
    // JSON sent as text/plain that does not parse is just text: nothing was claimed
    expect(bodyLeaves("text/plain", "{not json}").flags).toEqual([]);
  });

  test("markup that is not well-formed XML is judged as sent too: the lenient parse drops unquoted attributes and text after the root", () => {
    const html = bodyLeaves("text/plain", "<img src=x onerror=alert(1)>");
    expect(leafAt(html.leaves, "body", "text").text).toBe("<img src=x onerror=alert(1)>");
    // text/plain promised no structure.
    expect(html.flags).toEqual([]);
    const trailing = bodyLeaves("application/xml", "<r><a>1</a></r>tail <svg onload=alert(1)>");
    expect(leafAt(trailing.leaves, "body.xml.r.a").text).toBe("1");
    expect(leafAt(trailing.leaves, "body", "text").text).toBe("<r><a>1</a></r>tail <svg onload=alert(1)>");
    expect(trailing.flags).toEqual(["body-unparsed"]);
    // A well-formed document is read once, as XML.
    const doc = bodyLeaves("application/xml", '<?xml version="1.0"?><r a="1">x &amp; y</r>');
    expect(paths(doc.leaves)).not.toContain("body");
    expect(doc.flags).toEqual([]);
  });

  test("a form body read as another format is read as a form too: a form parser still finds its named pairs", () => {
    const multipart = bodyLeaves("application/x-www-form-urlencoded", "--a\n=1&q=%3Bcat%20%2Fetc%2Fpasswd");
    expect(leafAt(multipart.leaves, "body.q").text).toBe(";cat /etc/passwd");
    const xml = bodyLeaves("application/x-www-form-urlencoded", "<!--=1&q=%3Bid&z=--><a/>");
    expect(leafAt(xml.leaves, "body.q").text).toBe(";id");
    // PHP drops a name's leading blanks.
    expect(leafAt(bodyLeaves("application/x-www-form-urlencoded", '{"a":"& cmd=|id #"}').leaves, "body. cmd", "value").text).toBe('|id #"}');
    // The pairs of JSON under a form type have no form field's name, but for one after a `&` in a value.
    expect(paths(bodyLeaves("application/x-www-form-urlencoded", '{"u":"/p?a=1&b=2"}').leaves)).toEqual(["body.json.u", "body.b"]);
  });

  test("a JSON body that repeats a key is judged as sent too: the value the parse dropped is in it", () => {
    const body = '{"q":"<svg onload=alert(1)>","q":"ok"}';
    const s = bodyLeaves("application/json", body);
    expect(leafAt(s.leaves, "body.json.q").text).toBe("ok");
    expect(leafAt(s.leaves, "body", "text").text).toBe(body);
    expect(paths(bodyLeaves("application/json", '{"q":"a","r":"b"}').leaves)).toEqual(["body.json.q", "body.json.r"]);
  });

  test("a gzip body (by Content-Encoding or by its magic) is inflated; the leaves record it", () => {
    const gz = gzipSync(JSON.stringify({ cmd: "; cat /etc/passwd" })).toString("latin1");
    for (const headers of [["Content-Encoding: gzip"], []]) {
      const s = bodyLeaves("application/json", gz, { headers });
      expect(leafAt(s.leaves, "body.json.cmd")).toMatchObject({ text: "; cat /etc/passwd", encodings: ["gzip"] });
    }
    expect(bodyLeaves("text/plain", "plain", { headers: ["Content-Encoding: gzip"] }).flags).toEqual(["body-unparsed"]);
    // Brotli, and codings applied twice (the last applied undone first).
    const json = JSON.stringify({ cmd: "; cat /etc/passwd" });
    const br = brotliCompressSync(json).toString("latin1");
    expect(leafAt(bodyLeaves("application/json", br, { headers: ["Content-Encoding: br"] }).leaves, "body.json.cmd").text).toBe("; cat /etc/passwd");
    const twice = gzipSync(deflateSync(json)).toString("latin1");
    expect(leafAt(bodyLeaves("application/json", twice, { headers: ["Content-Encoding: deflate, gzip"] }).leaves, "body.json.cmd").text).toBe("; cat /etc/passwd");
  });

  test("a zip bomb hits the body limit and is flagged", () => {
    const s = bodyLeaves(null, gzipSync(Buffer.alloc(32 << 20, "a")).toString("latin1"), { limits: { maxBodyBytes: 1 << 20 } });
    expect(s.flags).toContain("body-oversize");
    expect(s.leaves.every((l) => l.text.length <= 1 << 20)).toBe(true);
    // Under the default limit too: a compressed body inflates to a megabyte or four times its size, no more.
    const bomb = gzipSync(Buffer.alloc(32 << 20, "a")).toString("latin1");
    const d = bodyLeaves(null, bomb);
    expect(d.flags).toContain("body-oversize");
    expect(d.leaves.every((l) => l.text.length <= Math.max(1 << 20, 4 * bomb.length))).toBe(true);
  });

  test("a body past a megabyte is read whole: an upload's file part does not hide the field after it", () => {
    const photo = "\xff\xd8\xff\xe0".padEnd(1_400_000, "\x11\x93\xa7");
    const body = ["--B", 'Content-Disposition: form-data; name="photo"; filename="p.jpg"', "Content-Type: image/jpeg", "", photo, "--B", 'Content-Disposition: form-data; name="caption"', "", "<img src=x onerror=alert(1)>", "--B--", ""].join("\r\n");
    const s = bodyLeaves("multipart/form-data; boundary=B", body);
    expect(s.flags).toEqual([]);
    expect(leafAt(s.leaves, "body.multipart.caption").text).toBe("<img src=x onerror=alert(1)>");
    const json = bodyLeaves("application/json", `{"image":"${"QUJD".repeat(400_000)}","q":"' UNION SELECT 1--"}`);
    expect(leafAt(json.leaves, "body.json.q").text).toBe("' UNION SELECT 1--");
  });

  test("a body over the limit: flagged, and the part looked at is still decomposed", () => {
    const body = `a=%27+or+1%3D1--&pad=${"x".repeat(2000)}`;
    const s = bodyLeaves("text/plain", body, { limits: { maxBodyBytes: 1000 } });
    expect(s.flags).toEqual(["body-oversize"]);
    expect(leafAt(s.leaves, "body.a").text).toBe("' or 1=1--");
    const json = bodyLeaves("application/json", `{"a":"${"x".repeat(2000)}"}`, { limits: { maxBodyBytes: 1000 } });
    expect(json.flags).toEqual(["body-oversize"]); // a cut document is not "unparsed"
    expect(leafAt(json.leaves, "body", "text").text.length).toBe(1000);
  });

  test("deeply nested JSON is too-deep and judged as text", () => {
    const s = bodyLeaves("application/json", `${"[".repeat(5000)}"x"${"]".repeat(5000)}`);
    expect(s.flags).toEqual(["too-deep", "body-unparsed"]);
    expect(leafAt(s.leaves, "body", "text").text.length).toBe(10_003);
  });
});
