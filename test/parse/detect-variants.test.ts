/** Detection of the common nginx variants, refusal when formats disagree, JSON key spellings, and the key-field count. */
import { describe, expect, test } from "bun:test";
import { AmbiguousFormatError, createParser, detectFormat, FormatDetectionError, parserFor } from "../../src/parse/formats.ts";
import { createJsonParser } from "../../src/parse/json-lines.ts";
import { KeyFieldTally, KeyFieldWatch, keyFieldWarning } from "../../src/parse/key-fields.ts";
import { isParseError, type HttpRequest, type ParseResult } from "../../src/core/http-request.ts";

const origin = { source: "test" };
function ok(r: ParseResult): HttpRequest {
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}
const combined = (ip = "203.0.113.9") => `${ip} - - [24/Nov/2026:11:54:54 +0000] "GET /a?b=1 HTTP/1.1" 200 3 "https://r.example/" "ua"`;

function detectionError(lines: string[]): FormatDetectionError {
  try {
    detectFormat(lines, "access.log");
  } catch (e) {
    expect(e).toBeInstanceOf(FormatDetectionError);
    return e as FormatDetectionError;
  }
  throw new Error("detection should have refused");
}

describe("detecting the common variants", () => {
  test("a vhost prefix is the vhost, not the client, even though Apache's format parses the line", () => {
    const p = detectFormat([`shop.example:443 ${combined()}`], "f");
    expect(p.name).toBe("vhost-combined");
    expect(ok(p.parse(`shop.example:443 ${combined()}`, origin))).toMatchObject({ clientIp: "203.0.113.9", host: "shop.example" });
  });

  test("a file mostly of vhost lines picks vhost-combined, though one line fits apache too", () => {
    // `$host:$server_port` with the IPv6 host ::1 makes `::1:80`, itself an IPv6 address.
    const lines = [`::1:80 ${combined()}`, ...Array.from({ length: 5 }, () => `shop.example:443 ${combined()}`)];
    expect(detectFormat(lines, "f").name).toBe("vhost-combined");
  });

  test("appended timing and id fields keep the base name; a line that fits no variant is reported against the plain format", () => {
    const p = createParser({ format: "combined" });
    expect(ok(p.parse(`${combined()} 0.004 0.002, 0.001 : 0.003`, origin)).extra).toEqual({ upstream_response_time: "0.002, 0.001 : 0.003" });
    expect(ok(p.parse(`${combined()} 0.004 ${"ab".repeat(16)}`, origin))).toMatchObject({ requestTime: 0.004, extra: { request_id: "ab".repeat(16) } });
    const bad = p.parse(`${combined()} something else`, origin);
    expect(isParseError(bad) && bad.reason).toMatch(/unexpected text after the last field/);
  });

  test("formats that fit equally but read the client differently: refused, naming both and how to confirm", () => {
    const line = `::1:80 ${combined()}`;
    const e = detectionError([line, line]);
    expect(e).toBeInstanceOf(AmbiguousFormatError);
    expect(e.message).toContain("(vhost-combined, apache)");
    expect(e.message).toContain('client "203.0.113.9", "GET /a", status 200 as vhost-combined but client "::1:80"');
    expect(e.message).toContain("--format vhost-combined or --format apache");
    // Confirmed: each named format reads it its own way.
    expect(ok(parserFor({ format: "vhost-combined" }, [line], "f").parse(line, origin)).clientIp).toBe("203.0.113.9");
    expect(ok(parserFor({ format: "apache" }, [line], "f").parse(line, origin)).clientIp).toBe("::1:80");
  });

  test("a line that parses only with a hostname as the client is refused, saying so", () => {
    const e = detectionError([`shop.example ${combined()}`]);
    expect(e).not.toBeInstanceOf(AmbiguousFormatError);
    expect(e.message).toContain('apache parses the lines but reads no IP address as the client (e.g. "shop.example"); pass --format apache if that is right');
  });

  test("formats that agree on every line are no ambiguity: the preferred one wins", () => {
    expect(detectFormat([combined(), combined("2001:db8::1"), combined("-")], "f").name).toBe("combined");
  });
});

describe("JSON key spellings", () => {
  const json = createJsonParser();
  const base = '"method":"GET","uri":"/x","status":200';
  test.each([
    ['"client":"1.2.3.4"'], ['"remote_ip":"1.2.3.4"'], ['"clientIp":"1.2.3.4"'], ['"client_ip":"1.2.3.4"'], ['"ip":"1.2.3.4"'],
    ['"remoteAddr":"1.2.3.4"'], ['"client":{"ip":"1.2.3.4"}'], ['"source":{"address":"1.2.3.4"}'],
  ])("client address under %s", (field) => {
    expect(ok(json.parse(`{${base},${field}}`, origin)).clientIp).toBe("1.2.3.4");
  });
  test.each([
    ['"referer":"https://r/"'], ['"referrer":"https://r/"'], ['"http_referer":"https://r/"'], ['"http_referrer":"https://r/"'],
    ['"httpReferrer":"https://r/"'], ['"http":{"request":{"referrer":"https://r/"}}'],
  ])("referer under %s", (field) => {
    expect(ok(json.parse(`{${base},${field}}`, origin)).referer).toBe("https://r/");
  });
  test("a key named like an Object property is an ordinary key", () => {
    expect(ok(json.parse(`{${base},"constructor":"c","toString":"t"}`, origin)).extra).toEqual({ constructor: "c", tostring: "t" });
  });
});

describe("key fields empty on most lines", () => {
  const request = (clientIp: string) => ok(createJsonParser().parse(`{"method":"GET","uri":"/","status":200,"time":"2026-11-24T11:54:54Z","remote_addr":"${clientIp}"}`, origin));
  const tally = (addresses: string[]) => {
    const t = new KeyFieldTally();
    for (const a of addresses) t.add(request(a));
    return t;
  };
  test("counted per field, said only for most lines and from 5 requests", () => {
    expect(tally(["-", "-", "-", "-"]).mostlyMissing()).toEqual([]);
    expect(tally(["-", "-", "1.2.3.4", "1.2.3.4", "-", "::1"]).mostlyMissing()).toEqual([]);
    expect(tally(["-", "-", "1.2.3.4", "shop.example", "-", "::1"]).mostlyMissing()).toEqual([{ field: "client address", missing: 4, total: 6 }]);
    expect(keyFieldWarning("a.log", "json", tally(["-", "-", "-", "-", "-"]))).toBe(
      "a.log: format json leaves key fields empty or invalid (client address on 5 of 5 requests): name the JSON key, e.g. moat scan --json-map remote_addr=<key>",
    );
  });
  test("a watch says each source's warning once, as soon as there is one, over its first `sample` requests", () => {
    const watch = new KeyFieldWatch(6);
    for (let i = 0; i < 4; i++) watch.add("a.log", request("-"));
    expect(watch.warning("a.log", "json")).toBeNull();
    watch.add("a.log", request("-"));
    expect(watch.warning("a.log", "json")).toContain("client address on 5 of 5");
    expect(watch.warning("a.log", "json")).toBeNull();
    for (let i = 0; i < 5; i++) watch.add("b.log", request("1.2.3.4"));
    for (let i = 0; i < 10; i++) watch.add("b.log", request("-"));
    expect(watch.warning("b.log", "json")).toBeNull();
  });
});
