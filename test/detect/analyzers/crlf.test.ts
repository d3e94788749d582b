import { describe, expect, test } from "bun:test";
import { crlfAnalyzer } from "../../../src/detect/analyzers/crlf.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

const body = (text: string) => leaf(text, { location: "body", path: "body.message", name: "message" });
/** The strongest finding in a JSON body's field of that name. */
const field = (name: string, text: string) => maxStrength(crlfAnalyzer, leaf(text, { location: "body", path: `body.json.${name}`, name }));

describe("crlf analyzer", () => {
  test("a response header after a line break is strong, with the break and header as evidence", () => {
    const text = "en\r\nSet-Cookie: sid=attacker";
    const [f] = crlfAnalyzer.analyze(leaf(text));
    expect(f!.rule).toBe("crlf.header-injection");
    expect(f!.strength).toBeGreaterThanOrEqual(0.8);
    expect(text.slice(f!.start, f!.end)).toBe("\r\nSet-Cookie:");
    expect(maxStrength(crlfAnalyzer, leaf("\nLocation: https://evil.example/"))).toBeGreaterThanOrEqual(0.8);
    // After a URL, whose scheme is no header name that would make the value a header block.
    expect(maxStrength(crlfAnalyzer, leaf("http://www.example.org\r\nSet-Cookie: sid=attacker"))).toBe(0.9);
    expect(rules(crlfAnalyzer, leaf("http://www.example.org\r\nx-probe: 3.0.4 version"))).toEqual(["crlf.header-line"]);
    // A single URL before the break, as a redirect parameter holds, then a header-shaped line: proof; a word's line is a note's.
    expect(maxStrength(crlfAnalyzer, leaf("http://www.google.fr\r\nX-Scan-Probe: 3.0.4"))).toBe(0.85);
    for (const v of ["http://www.google.fr\r\nwapiti: 3.0.4 version", "https://shop.example/p/123\nPrice: 20 EUR", "see http://www.google.fr\r\nX-Note: call me"]) expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, 0.6]);
    // A body's field that starts with a URL and goes on in lines: a bug report's steps, a pasted trace.
    expect(crlfAnalyzer.analyze(body("http://example.com/\nSet-Cookie: test=1 is sent twice"))).toEqual([]);
  });

  test("a second status line, a smuggled request and a body after a blank line split the message", () => {
    expect(rules(crlfAnalyzer, leaf("x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n"))).toEqual(["crlf.response-splitting"]);
    expect(rules(crlfAnalyzer, leaf("aaa\nGET /admin HTTP/1.1"))).toEqual(["crlf.request-splitting"]);
    expect(rules(crlfAnalyzer, leaf("\r\n\r\n<script>alert(1)</script>"))).toEqual(["crlf.response-splitting"]);
  });

  test("mail header injection; a truncated UTF-16 line break counts", () => {
    expect(maxStrength(crlfAnalyzer, body("me@example.com\nBcc: list@example.net"))).toBeGreaterThanOrEqual(0.8);
    // A reply's header block quoted after the text's first line is no header the value broke out of.
    const reply = "Thanks, see below.\n\n-----Original Message-----\nFrom: Ann <ann@acme-corp.example>\nSent: Monday, 3 March 2026 10:00\nTo: Bob <bob@x.example>\nCc: team@acme-corp.example\nSubject: RE: invoice\n\nHi";
    expect(maxStrength(crlfAnalyzer, body(reply))).toBe(0.5);
    expect(maxStrength(crlfAnalyzer, leaf(reply))).toBe(0.7);
    // Only a blank line ends the headers: a header before the recipient's is still among them.
    expect(maxStrength(crlfAnalyzer, leaf("me@example.com\r\nX-A: 1\r\nBcc: many@evil.example"))).toBe(0.85);
    expect(rules(crlfAnalyzer, leaf("x\u560a\u560dSet-Cookie: a=1"))).toEqual(["crlf.header-injection"]);
  });

  test("the breaks other readers see: any pair of characters whose low bytes make CR LF, Unicode's line and paragraph separators, NEL", () => {
    for (const v of ["en\u010d\u010aSet-Cookie: a=1", "en\u0a0d\u0b0aSet-Cookie: a=1", "en\u2028Set-Cookie: a=1", "en\u2029Location: //evil.example", "en\u0085Set-Cookie: a=1"]) {
      expect([v, rules(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.header-injection"]]);
    }
    // Czech, Chinese and Korean text with such characters one at a time breaks no line; evidence stays on the value's characters.
    for (const v of ["Děčín: čtvrtek", "上海: 25°C 上Set", "ĊČ Set-Cookie"]) expect([v, crlfAnalyzer.analyze(leaf(v))]).toEqual([v, []]);
    const [f] = crlfAnalyzer.analyze(leaf("en\u010d\u010aSet-Cookie: a=1"));
    expect([f!.start, f!.end]).toEqual([2, 15]);
  });

  test("mail protocol commands after a break: SMTP envelope, tagged IMAP, numbered POP3, capital verbs", () => {
    expect(rules(crlfAnalyzer, leaf("\r\nMAIL FROM:<a@b.com>"))).toEqual(["crlf.mail-command"]);
    expect(maxStrength(crlfAnalyzer, leaf("\r\nRCPT TO:<Postmaster>"))).toBe(0.85);
    // A parameter that starts with the break: proof, whichever protocol; inside its text, weaker.
    for (const v of ["\r\na001 STATUS INBOX (MESSAGES)", "\r\nA1 QUIT", "\r\nRETR 123", "\r\nTOP 1 2", "\r\nDATA", "\r\nlist 3"]) expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, 0.85]);
    for (const v of ["see x\r\na001 SELECT Drafts", "see x\r\nRETR 123"]) expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, v.includes("a001") ? 0.7 : 0.6]);
    // A letter's lines have the words, not the protocol's syntax.
    expect(crlfAnalyzer.analyze(body("Hello,\r\nData is attached.\r\nTop 10 reasons\r\nlist of items\r\nHelp me please\r\nMail from: john"))).toEqual([]);
    expect(maxStrength(crlfAnalyzer, body("Dear team\r\nQuit smoking\r\nDATA\r\n"))).toBeLessThanOrEqual(0.5);
  });

  test("a key-value store's command after a break (Redis, memcached), and Redis's own framing anywhere", () => {
    for (const v of ["x\r\nFLUSHALL\r\n", "key\r\nCONFIG SET dir /var/www/html\r\n", "x\nSLAVEOF attacker.example 6379", "x\r\nMODULE LOAD /tmp/exp.so", 'k\r\nEVAL "return 1" 0', "a\r\nset k 0 0 5\r\nhello", "\r\nflush_all", "\r\nKEYS *"]) {
      expect([v, rules(crlfAnalyzer, leaf(v)), maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.store-command"], 0.85]);
    }
    expect(maxStrength(crlfAnalyzer, body("x\nSLAVEOF attacker.example 6379"))).toBe(0.85);
    expect(maxStrength(crlfAnalyzer, leaf("*1\r\n$8\r\nFLUSHALL\r\n"))).toBe(0.9);
    // A note's capitalised words after a greeting, and its sentences, are no command.
    expect(maxStrength(crlfAnalyzer, body("Hello\nSAVE\nbye"))).toBeLessThan(0.7);
    for (const v of ["Meeting notes\nSAVE the date\nINFO: room 5", "Dear Bob,\nSet the table please\nthanks", "todo:\nsave\nkeys"]) expect([v, crlfAnalyzer.analyze(body(v))]).toEqual([v, []]);
    // A message's one-word greeting is no field of one token.
    expect(maxStrength(crlfAnalyzer, body("Thanks!\nCONFIG SET maxmemory 2gb"))).toBe(0.6);
    for (const v of ["\r\nSHUTDOWN", "\r\nSHUTDOWN NOSAVE", "\r\nSHUTDOWN SAVE"]) expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, 0.85]);
  });

  test("a log entry forged after a field of one token: a timestamp to the second and a level, syslog's program, an access log's line", () => {
    for (const v of ["admin\n2026-01-01 12:00:00 INFO login success", "x\r\n127.0.0.1 - - [01/Jan/2026:12:00:00 +0000] \"GET /admin HTTP/1.1\" 200", "bob\nJan  1 12:00:00 host sshd[1]: Accepted password for root"]) {
      expect([v, rules(crlfAnalyzer, leaf(v)), maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.log-forging"], 0.85]);
    }
    // A log pasted into a message, and a note's date and time.
    expect(maxStrength(crlfAnalyzer, body("Hi, the job failed:\n2026-01-01 12:00:00 ERROR timeout\nplease help"))).toBe(0.5);
    expect(maxStrength(crlfAnalyzer, body("Hi,\n2024-05-01 12:00:01 ERROR Connection refused"))).toBe(0.5);
    for (const v of ["Meeting\n2026-01-02 10:00 room 4", "Meeting\n2026-01-02 10:00:00 room 4"]) expect([v, crlfAnalyzer.analyze(body(v))]).toEqual([v, []]);
  });

  test("a line that opens with a log level as loggers write it, after a field of one token: the logger adds the time", () => {
    for (const v of ["user1\nINFO: User admin logged in successfully", "bob\r\n[ERROR] payment service down", "x\nWARNING: disk full"]) {
      expect([v, rules(crlfAnalyzer, leaf(v)), maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.log-forging"], 0.85]);
    }
    expect(rules(crlfAnalyzer, body("user1\nINFO: User admin logged in"))).toEqual(["crlf.log-forging"]);
    // A greeting's line, a level word in prose, a lower-case label: a note's.
    expect(crlfAnalyzer.analyze(body("Hi,\nINFO: the shop closes at 6"))).toEqual([]);
    for (const v of ["Steps\nInfo: see the wiki", "a\nerror: none"]) expect([v, rules(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.header-line"]]);
  });

  test("blanks or a NUL between the break and the header still inject it: a folded line, a writer that drops the NUL", () => {
    for (const v of ["\r\n Set-Cookie: x=1", "\r\n\tSet-Cookie: x=1", "\r\n\u0000Set-Cookie: x=1", "/\r\n\tLocation: https://evil.example"]) {
      expect([JSON.stringify(v), rules(crlfAnalyzer, leaf(v)), maxStrength(crlfAnalyzer, leaf(v))]).toEqual([JSON.stringify(v), ["crlf.header-injection"], 0.9]);
    }
    expect(maxStrength(crlfAnalyzer, body("\r\n\tSet-Cookie: session=fixated; Path=/"))).toBe(0.8);
    // An indented line of pasted text in a body stays a note's; a column of text is no indent.
    expect(maxStrength(crlfAnalyzer, body("Our office\n    Location: Building 5"))).toBe(0.6);
    expect(crlfAnalyzer.analyze(leaf("a\n                    Set-Cookie: x=1")).map((f) => f.rule)).not.toContain("crlf.header-injection");
  });

  test("a body field written into a header line (a mail's subject or recipient, a file's name) breaks that header as a parameter would", () => {
    expect(field("subject", "Monthly report\r\nX-Mailer: pwn\r\nContent-Type: text/html")).toBe(0.9);
    expect(field("headerValue", "report.pdf\r\nContent-Disposition: attachment; filename=evil.html")).toBe(0.9);
    expect(field("fileName", "a.pdf\r\nContent-Type: text/html")).toBe(0.9);
    // A message's own lines stay a letter's.
    expect(field("message", "Monthly report\r\nX-Mailer: pwn\r\nContent-Type: text/html")).toBe(0.6);
  });

  test("a body field that says where the user goes next, or a language, is written into a header too (Location, Content-Language)", () => {
    expect(field("next", "/\r\nX-Injected: yes")).toBe(0.85);
    expect(field("redirect_uri", "\r\nX-Forwarded-Host: attacker.example")).toBe(0.85);
    expect(field("returnTo", "/\r\nAccess-Control-Allow-Origin: https://attacker.example")).toBe(0.9);
    expect(field("lang", "en\r\nX-Debug: 1")).toBe(0.6);
    // A note's field keeps a letter's lines.
    expect(field("comment", "/\r\nX-Injected: yes")).toBe(0);
  });

  test("a Transfer-Encoding two servers may frame differently is request smuggling's; a coding list ending in chunked is a client's", () => {
    const te = (text: string) => rules(crlfAnalyzer, leaf(text, { location: "header", path: "header.transfer-encoding", name: "transfer-encoding" }));
    for (const v of ["xchunked", "chunk", "chunked, identity", "gzip", "chunked\u000bx"]) expect([v, te(v)]).toEqual([v, ["crlf.smuggling-framing"]]);
    for (const v of ["chunked", "CHUNKED", " chunked ", "gzip, chunked", "br,chunked"]) expect([v, te(v)]).toEqual([v, []]);
  });

  test("a request header that reroutes a forwarded request or forges its client, outside a body", () => {
    for (const v of ["home\r\nX-Forwarded-Host: evil.example", "en\r\nHost: internal.example", "x\nX-Forwarded-For: 127.0.0.1", "a\r\nX-Original-URL: /admin"]) {
      expect([v, rules(crlfAnalyzer, leaf(v)), maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, ["crlf.header-injection"], 0.85]);
    }
    // A config pasted into a form has host lines of its own.
    expect(crlfAnalyzer.analyze(body("server:\nhost: db.internal\nport: 5432"))).toEqual([]);
  });

  test("a tagged IMAP command after text is proof when IMAP's own argument syntax follows it, not a note's words", () => {
    for (const v of ['INBOX\r\nA002 LIST "" *', "x\r\nA001 DELETE INBOX", "INBOX.Sent\r\nV100 CAPABILITY\r\nV101 FETCH 4791", "x\r\nb7 UID FETCH 1:* (FLAGS)", "x\r\nc1 STORE 4 +FLAGS (\\Deleted)", "x\r\na2 STATUS Sent (MESSAGES)"]) {
      expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, 0.85]);
    }
    expect(maxStrength(crlfAnalyzer, body("see x\r\nA001 DELETE INBOX"))).toBe(0.7);
    // A field of one token (a mailbox, an address) broken after it, then a command in the protocol's syntax: proof in a body too.
    for (const v of ["INBOX\r\nA002 CREATE INBOX.pwned", "a@b.example\r\nDATA\r\n", "INBOX\r\nRETR 1", "1\r\nV100 CAPABILITY\r\nV101 FETCH 1 BODY[HEADER]", 'INBOX"\r\na1 LOGOUT\r\n']) expect([v, maxStrength(crlfAnalyzer, body(v))]).toEqual([v, 0.85]);
    // A heading of one word is a note's, and "inbox" in lower case a word.
    for (const v of ["Urgent!\r\nHELP PLEASE\r\nmy account is locked", "Checklist\r\nA1 Search inbox for receipts"]) expect([v, maxStrength(crlfAnalyzer, leaf(v)) < 0.85]).toEqual([v, true]);
    for (const v of ["Tasks\r\nA1 Create the report", "Plan\r\nB2 Search from 10:30 on", "Todo\r\nC3 Close the ticket today"]) expect([v, maxStrength(crlfAnalyzer, leaf(v))]).toEqual([v, 0.7]);
  });

  test("a hyphenated header line in a parameter that starts with the break is proof; a word, after text, or in a body, it is not", () => {
    expect(crlfAnalyzer.analyze(leaf("\r\nX-Scanner-Probe: 1"))).toMatchObject([{ rule: "crlf.header-line", strength: 0.85 }]);
    expect(maxStrength(crlfAnalyzer, leaf("\nFoo-Bar: baz", { location: "header", path: "header.x-data", name: "x-data" }))).toBe(0.85);
    // After a redirect parameter's path, as the redirect writes it into `Location`; a path elsewhere is a file's.
    const next = (text: string) => maxStrength(crlfAnalyzer, leaf(text, { path: "query.next", name: "next" }));
    expect(next("/\r\nX-Scan: 1")).toBe(0.85);
    expect(next("/a b\r\nX-Scan: 1")).toBe(0.6);
    expect(maxStrength(crlfAnalyzer, leaf("/var/log/app.log\nError-Code: 5", { path: "query.path", name: "path" }))).toBe(0.6);
    expect(maxStrength(crlfAnalyzer, leaf("http://\r\nX-Scan: 1"))).toBe(0.6);
    expect(maxStrength(crlfAnalyzer, leaf("Hello\nName: John"))).toBe(0.6);
    // A note that opens with a line break and a word and a colon is no header's shape.
    expect(maxStrength(crlfAnalyzer, leaf("\nNote: call me"))).toBe(0.6);
    expect(maxStrength(crlfAnalyzer, leaf("\nRe: hello"))).toBe(0.6);
    expect(crlfAnalyzer.analyze(body("\nName: John\nPhone: 555"))).toEqual([]);
  });

  test("multi-line form text, header blocks someone reports, and a header with no value are not strong", () => {
    expect(crlfAnalyzer.analyze(body("Hello,\nName: John\nPhone: 555\nThanks"))).toEqual([]);
    expect(maxStrength(crlfAnalyzer, body("Forwarded letter:\nSubject: lunch\nsee you"))).toBeLessThan(0.8);
    expect(crlfAnalyzer.analyze(body("content-length: 29\r\ncontent-type: application/json\r\n"))).toEqual([]);
    expect(maxStrength(crlfAnalyzer, leaf("\n\rlocation:\n\r"))).toBeLessThan(0.8);
    expect(crlfAnalyzer.analyze(leaf("one line"))).toEqual([]);
  });

  test("in a body, a header that moves the browser is strong only with a value shaped as that header's", () => {
    for (const v of ["\nLocation: https://198.51.100.7/", "\r\nLocation: //198.51.100.7/", "x\nSet-Cookie: sid=1", "\nRefresh: 0; url=//e.example"]) expect([v, maxStrength(crlfAnalyzer, body(v))]).toEqual([v, 0.8]);
    for (const v of ["\nLocation: Building 5, second floor", "\nLocation: /floor2/room5", "\nSet-Cookie: session expired, log in again", "\nRefresh: soon"]) expect([v, maxStrength(crlfAnalyzer, body(v))]).toEqual([v, 0.6]);
  });

  test("a line-break escape split by another, which a filter deleting breaks once joins, is moderate", () => {
    for (const text of ["%0%0d%0ad%0%0d%0aa", "en%0\r\nd%0\r\na", "%0%0ad"]) {
      expect([text, rules(crlfAnalyzer, leaf(text)), maxStrength(crlfAnalyzer, leaf(text))]).toEqual([text, ["crlf.split-escape"], 0.7]);
    }
    // A stronger injection in the same value wins.
    expect(maxStrength(crlfAnalyzer, leaf("%0%0d%0ad\r\nSet-Cookie: a=1"))).toBe(0.9);
    for (const text of ["100%0a", "50%0d", "%0%0a", "a%0d%0ab", "%0ad"]) expect([text, crlfAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
  });

  test("a line break in a URL path is moderate, and a header it injects (a redirect that echoes its path) as strong as a parameter's", () => {
    const path = (text: string) => leaf(text, { kind: "path", location: "path", path: "path", name: "" });
    const found = crlfAnalyzer.analyze(path("/index.php/X\nY"));
    expect(found.map((f) => f.rule)).toEqual(["crlf.break-in-path"]);
    expect(found[0]!.strength).toBeLessThan(0.8);
    expect(crlfAnalyzer.analyze(path("/set-lang//\r\nLocation: //evil.example/details")).map((f) => [f.rule, f.strength])).toEqual([["crlf.header-injection", 0.9]]);
    expect(maxStrength(crlfAnalyzer, path("/go/\r\nX-A: 1\r\nLocation: //evil.example"))).toBe(0.9);
    // Chinese 不上 (U+4E0D U+4E0A) breaks no line.
    expect(crlfAnalyzer.analyze(path("/tags/跟不上"))).toEqual([]);
  });

  test("line breaks written out as escapes inject a header where the value is unescaped: a little weaker", () => {
    const text = "x\\r\\nSet-Cookie: sid=attacker";
    const [f] = crlfAnalyzer.analyze(leaf(text));
    expect(f).toMatchObject({ rule: "crlf.header-injection", strength: 0.8 });
    expect(text.slice(f!.start, f!.end)).toBe("\\r\\nSet-Cookie:");
    expect(rules(crlfAnalyzer, leaf("a\\r\\n\\r\\n<html>x"))).toEqual(["crlf.response-splitting"]);
    expect(rules(crlfAnalyzer, leaf("a\\r\\n\\r\\n\\r\\n<html>x"))).toEqual(["crlf.response-splitting"]);
    // A path with backslashes, an escaped line of any other name, a header block or a response written
    // out (code, a log), a break far into a text: nothing.
    const kept = [
      "C:\\new\\test",
      "line1\\nline2: ok",
      "\\n",
      '$headers = "From: a@b\\r\\nContent-Type: text/html";',
      '{"raw":"HTTP/1.1 200 OK\\r\\nContent-Type: text/html"}',
      `${"word ".repeat(20)}\\r\\nSet-Cookie: a=1`,
    ];
    for (const v of kept) expect([v, crlfAnalyzer.analyze(leaf(v))]).toEqual([v, []]);
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(crlfAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(crlfAnalyzer.analyze(body("\n".repeat(1 << 20)))).toEqual([]);
    expect(rules(crlfAnalyzer, leaf(`${HUGE}\r\nSet-Cookie: a=1`))).toEqual(["crlf.header-injection"]);
    expect(rules(crlfAnalyzer, leaf(`${"\\r".repeat(500_000)}Set-Cookie: a=1`))).toEqual(["crlf.header-injection"]);
    const j = wideJunk();
    expect(spansValid(crlfAnalyzer.analyze(leaf(j)), j)).toBe(true);
  });
});
