/**
 * Real nginx writes the logs: combined, a custom format and an escape=json one. Requests carry awkward
 * bytes; every field Moat parses back must be what was sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compileLogFormat, COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { createParser, detectFormat } from "../../src/parse/formats.ts";
import { isParseError, headerValue, type HttpRequest } from "../../src/core/http-request.ts";
import type { Parser } from "../../src/parse/parser.ts";
import { NGINX_BIN, readLog, sendRaw, startNginx, waitForLines, type NginxInstance } from "../helpers/nginx.ts";

const CUSTOM = '$remote_addr $host [$time_local] "$request" $status $body_bytes_sent $request_time "$http_x_forwarded_for" "$http_user_agent" "$http_referer"';
const JSON_FORMAT = '{"time":"$time_iso8601","remote_addr":"$remote_addr","method":"$request_method","uri":"$request_uri","protocol":"$server_protocol","status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"host":"$host","referer":"$http_referer","user_agent":"$http_user_agent","cookie":"$http_cookie","content_type":"$content_type","request_body":"$request_body","xff":"$http_x_forwarded_for"}';

interface Sent {
  method: string;
  target: string;
  protocol: string;
  headers: [string, string][];
  body?: string;
  /** Status nginx is expected to answer. */
  status: number;
}

const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1"); // raw UTF-8 bytes on the wire
const long = "/long?p=" + "A".repeat(7000) + "&end=1";
const SENT: Sent[] = [
  {
    method: "GET", target: utf8('/search?q=%22quoted%22&b=back\\slash&n=%00&u=caf%C3%A9&raw="x"'), protocol: "HTTP/1.1", status: 200,
    headers: [["Host", "shop.example"], ["User-Agent", utf8('Mozilla/5.0 "quoted" \\back\\ ünïcödé 日本')], ["Referer", 'https://ref.example/a?b="c"'], ["X-Forwarded-For", "203.0.113.7, 10.0.0.1"], ["Cookie", 'sid=abc; pref="x y"']],
  },
  { method: "GET", target: utf8("/café/naïve?x=1&x=2"), protocol: "HTTP/1.1", status: 200, headers: [["Host", "shop.example"], ["User-Agent", "curl/8.5.0"]] },
  { method: "GET", target: long, protocol: "HTTP/1.1", status: 200, headers: [["Host", "shop.example"], ["User-Agent", "long-uri"]] },
  {
    method: "POST", target: "/login?next=%2Fhome", protocol: "HTTP/1.1", status: 200,
    headers: [["Host", "shop.example"], ["User-Agent", "form"], ["Content-Type", "application/x-www-form-urlencoded"]],
    body: utf8('user=al%27ice&pass=%22x%22+%5C&note="raw quote" \\ ü\nline2'),
  },
  { method: "GET", target: "/old", protocol: "HTTP/1.0", status: 200, headers: [["User-Agent", "old-client"]] },
];

function rawRequest(s: Sent): string {
  const headers = [...s.headers];
  if (s.body !== undefined) headers.push(["Content-Length", String(Buffer.byteLength(s.body, "latin1"))]);
  headers.push(["Connection", "close"]);
  return `${s.method} ${s.target} ${s.protocol}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n${s.body ?? ""}`;
}

/** What Moat should read back: the wire bytes as UTF-8 text. */
const text = (latin1: string) => Buffer.from(latin1, "latin1").toString("utf8");

let nginx: NginxInstance;
const describeNginx = NGINX_BIN ? describe : describe.skip;

describeNginx("parsing what real nginx wrote", () => {
  beforeAll(async () => {
    nginx = await startNginx(`
      log_format custom '${CUSTOM}';
      log_format jsonl escape=json '${JSON_FORMAT}';
      server {
        listen 127.0.0.1:{{PORT}};
        server_name shop.example;
        large_client_header_buffers 4 16k;
        access_log {{PREFIX}}/logs/combined.log combined;
        access_log {{PREFIX}}/logs/custom.log custom;
        access_log {{PREFIX}}/logs/json.log jsonl;
        location = /__sink { access_log off; return 200 "ok\\n"; }
        # Proxying makes nginx read the body, so $request_body is logged.
        location / { rewrite ^ /__sink break; proxy_pass http://127.0.0.1:{{PORT}}; }
      }`);
    for (const s of SENT) {
      const response = await sendRaw(nginx.port, rawRequest(s));
      expect(response.startsWith(`HTTP/1.1 ${s.status}`)).toBe(true);
    }
    // A TLS handshake on the plain port: nginx answers 400 and still logs a line.
    await sendRaw(nginx.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x22, 0x0d, 0x0a, 0x0d, 0x0a]));
    for (const f of ["combined", "custom", "json"]) await waitForLines(nginx.path(`logs/${f}.log`), SENT.length + 1);
  });
  afterAll(() => nginx?.stop());

  const cases: [string, () => Parser][] = [
    ["combined.log", () => compileLogFormat({ name: "combined", format: COMBINED_FORMAT })],
    ["custom.log", () => createParser({ format: "nginx", logFormat: `'${CUSTOM}'` })],
    ["json.log", () => createParser({ format: "nginx", logFormat: `escape=json '${JSON_FORMAT}'` })],
    ["json.log", () => createParser({ format: "json" })],
  ];

  for (const [file, makeParser] of cases) {
    test(`${file} with ${makeParser().name}: every field matches what was sent`, () => {
      const parser = makeParser();
      const lines = readLog(nginx.path(`logs/${file}`));
      expect(lines).toHaveLength(SENT.length + 1);
      const parsed: HttpRequest[] = lines.map((l, i) => {
        const r = parser.parse(l, { source: file, line: i + 1 });
        if (isParseError(r)) throw new Error(`${file}:${i + 1}: ${r.reason}`);
        return r;
      });
      SENT.forEach((s, i) => {
        const r = parsed[i]!;
        const target = text(s.target);
        const q = target.indexOf("?");
        expect(r.method).toBe(s.method);
        expect(r.path).toBe(q === -1 ? target : target.slice(0, q));
        expect(r.query).toBe(q === -1 ? "" : target.slice(q + 1));
        expect(r.protocol).toBe(s.protocol);
        expect(r.status).toBe(s.status);
        expect(r.clientIp).toBe("127.0.0.1");
        expect(r.bytesSent).toBe(3);
        expect(r.time).not.toBeNull();
        expect(Math.abs(r.time! - Date.now())).toBeLessThan(10 * 60_000);
        const sentHeader = (n: string) => s.headers.find(([k]) => k === n)?.[1];
        expect(r.userAgent).toBe(text(sentHeader("User-Agent") ?? ""));
        expect(r.referer).toBe(text(sentHeader("Referer") ?? ""));
        if (file !== "combined.log") {
          expect(r.host).toBe(sentHeader("Host") ?? "shop.example");
          expect(headerValue(r, "x-forwarded-for") ?? "").toBe(sentHeader("X-Forwarded-For") ?? "");
        }
        if (file === "custom.log") expect(r.requestTime).toBeGreaterThanOrEqual(0);
        if (file === "json.log") {
          expect(r.body ?? "").toBe(text(s.body ?? ""));
          expect(r.cookies).toEqual(s.headers.some(([k]) => k === "Cookie") ? [{ name: "sid", value: "abc" }, { name: "pref", value: '"x y"' }] : []);
        }
      });
      // Decoded parameters of the awkward request, in order, repeated names kept.
      expect(parsed[0]!.params.map((p) => [p.name, p.value])).toEqual([["q", '"quoted"'], ["b", "back\\slash"], ["n", "\u0000"], ["u", "café"], ["raw", '"x"']]);
      expect(parsed[1]!.params.map((p) => p.value)).toEqual(["1", "2"]);
      expect(parsed[2]!.query.length).toBe(7000 + 8);
      if (file === "json.log") {
        expect(parsed[3]!.params.filter((p) => p.location === "body").map((p) => [p.name, p.value])).toEqual([
          ["user", "al'ice"], ["pass", '"x" \\'], ["note", '"raw quote" \\ ü\nline2'],
        ]);
      }
      // The TLS handshake line: status 400, nothing lost.
      expect(parsed[SENT.length]!.status).toBe(400);
    });
  }

  test("auto-detection recognises each file nginx wrote", () => {
    expect(detectFormat(readLog(nginx.path("logs/combined.log")), "c").name).toBe("combined");
    expect(detectFormat(readLog(nginx.path("logs/json.log")), "j").name).toBe("json");
  });
});
