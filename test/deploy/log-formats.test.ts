/**
 * The log formats operators run, written by real nginx: each is auto-detected under the right name and
 * read with every key field right (no silent misreading), and a format that parses but leaves a key
 * field empty is said, with counts, by moat scan and moat doctor.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { COMBINED_FORMAT } from "../../src/parse/log-format.ts";
import { createParser, detectFormat } from "../../src/parse/formats.ts";
import { MAIN_FORMAT } from "../../src/parse/variants.ts";
import { KeyFieldTally } from "../../src/parse/key-fields.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { runCli } from "../helpers/cli.ts";
import { openReadonly } from "../helpers/db.ts";
import { serveDetail, startServe, waitFor } from "../helpers/serve.ts";
import { NGINX_BIN, sendRaw, startNginx, waitForLines, type NginxInstance } from "../helpers/nginx.ts";

const REQ_ID_TIME = " $request_time $request_id";
/** nginx's documented `upstream_time` example. */
const UPSTREAM_TIME = ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"';
const json = (fields: string) => `escape=json '{${fields}}'`;

/** log name → [log_format declaration (null: nginx's built-in combined), the format detection must name]. */
const FORMATS: Record<string, [string | null, string]> = {
  combined: [null, "combined"],
  main: [`'${MAIN_FORMAT}'`, "main"],
  vhost: [`'$host:$server_port ${COMBINED_FORMAT}'`, "vhost-combined"],
  timed: [`'${COMBINED_FORMAT} $request_time'`, "combined"],
  upstream: [`'${COMBINED_FORMAT} $request_time $upstream_response_time'`, "combined"],
  reqid: [`'${COMBINED_FORMAT} $request_id'`, "combined"],
  mirror: [`'${COMBINED_FORMAT}${REQ_ID_TIME}'`, "combined"],
  upstream_time: [`'${COMBINED_FORMAT}${UPSTREAM_TIME}'`, "combined"],
  main_timed: [`'${MAIN_FORMAT} $request_time $upstream_response_time'`, "main"],
  vhost_timed: [`'$host:$server_port ${COMBINED_FORMAT} $request_time'`, "vhost-combined"],
  json_referrer: [json('"time":"$time_iso8601","client":"$remote_addr","method":"$request_method","uri":"$request_uri","status":$status,"http_referrer":"$http_referer","user_agent":"$http_user_agent"'), "json"],
  json_camel: [json('"@timestamp":"$time_iso8601","remoteIp":"$remote_addr","requestMethod":"$request_method","requestUri":"$request_uri","statusCode":"$status","referrer":"$http_referer","userAgent":"$http_user_agent"'), "json"],
  json_ecs: [json('"@timestamp":"$time_iso8601","client":{"ip":"$remote_addr"},"http":{"request":{"method":"$request_method","referrer":"$http_referer"},"response":{"status_code":$status}},"url":{"original":"$request_uri"},"user_agent":{"original":"$http_user_agent"}'), "json"],
  json_client_ip: [json('"ts":"$msec","client_ip":"$remote_addr","request":"$request","response_code":$status,"referer":"$http_referer","agent":"$http_user_agent"'), "json"],
};

interface Sent {
  method: string;
  target: string;
  referer?: string;
  userAgent: string;
}

const SENT: Sent[] = [
  { method: "GET", target: "/products?page=2&sort=price", referer: "https://shop.example/", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" },
  { method: "GET", target: "/direct", userAgent: "curl/8.5.0" },
  { method: "POST", target: "/cart/add", referer: "https://shop.example/products", userAgent: "Mozilla/5.0 (iPhone) Safari/604.1" },
  { method: "HEAD", target: "/health", userAgent: "kube-probe/1.29" },
  { method: "GET", target: "/search?q=caf%C3%A9", referer: "https://www.google.com/", userAgent: "Mozilla/5.0 Chrome/126.0" },
  { method: "GET", target: "/missing", userAgent: "Mozilla/5.0 Chrome/126.0" },
];

function raw(s: Sent): string {
  const headers = [`Host: shop.example`, `User-Agent: ${s.userAgent}`, ...(s.referer ? [`Referer: ${s.referer}`] : []), "Connection: close"];
  const body = s.method === "POST" ? "sku=42" : "";
  if (body) headers.push("Content-Type: application/x-www-form-urlencoded", `Content-Length: ${body.length}`);
  return `${s.method} ${s.target} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n${body}`;
}

let nginx: NginxInstance;
const logPath = (name: string) => nginx.path(`logs/${name}.log`);
const describeNginx = NGINX_BIN ? describe : describe.skip;

describeNginx("log formats written by real nginx", () => {
  beforeAll(async () => {
    const declarations = Object.entries(FORMATS).flatMap(([name, [format]]) => (format ? [`log_format ${name} ${format};`] : []));
    const logs = Object.keys(FORMATS).map((name) => `access_log {{PREFIX}}/logs/${name}.log ${name};`);
    nginx = await startNginx(`
      ${declarations.join("\n      ")}
      log_format peer ${json('"time":"$time_iso8601","peer":"$remote_addr","method":"$request_method","uri":"$request_uri","status":$status')};
      server {
        listen 127.0.0.1:{{PORT}};
        server_name shop.example;
        ${logs.join("\n        ")}
        access_log {{PREFIX}}/logs/peer.log peer;
        location = /__sink { access_log off; return 200 "ok\\n"; }
        location = /direct { return 200 "ok\\n"; }
        location = /missing { return 404; }
        # Proxied, so that the upstream timing variables have values.
        location / { rewrite ^ /__sink break; proxy_pass http://127.0.0.1:{{PORT}}; }
      }`);
    for (const s of SENT) await sendRaw(nginx.port, raw(s));
    for (const name of [...Object.keys(FORMATS), "peer"]) await waitForLines(logPath(name), SENT.length);
  });
  afterAll(() => nginx?.stop());

  for (const [name, [, expected]] of Object.entries(FORMATS)) {
    test(`${name}: detected as ${expected}, every key field read as sent`, async () => {
      const lines = await waitForLines(logPath(name), SENT.length);
      expect(lines).toHaveLength(SENT.length);
      const parser = detectFormat(lines, name);
      expect(parser.name).toBe(expected);
      const tally = new KeyFieldTally();
      lines.forEach((line, i) => {
        const r = parser.parse(line, { source: name, line: i + 1 });
        if (isParseError(r)) throw new Error(`${name}:${i + 1}: ${r.reason}\n${line}`);
        tally.add(r);
        expectSent(r, SENT[i]!);
        if (name.startsWith("vhost")) expect(r.host).toBe("shop.example");
        if (/timed|upstream|mirror/.test(name)) expect(r.requestTime).toBeGreaterThanOrEqual(0);
        if (name === "reqid" || name === "mirror") expect(r.extra.request_id).toMatch(/^[0-9a-f]{32}$/);
      });
      expect(tally.mostlyMissing()).toEqual([]);
    });
  }

  test("moat scan reads the vhost log with the client, not the vhost, and says nothing", () => {
    const r = runCli(["scan", logPath("vhost"), "--no-detect", "--json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ requests: SENT.length, rejected: 0, inputs: [{ format: "vhost-combined" }] });
    expect(JSON.stringify(summary)).not.toContain("shop.example:");
  });

  test("moat scan reads nginx's main format (no longer exit 65)", () => {
    const r = runCli(["scan", logPath("main"), "--no-detect", "--json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: SENT.length, rejected: 0, inputs: [{ format: "main" }] });
  });

  test("forced to read the vhost log as apache, moat scan warns that the client address is not one, with counts", () => {
    const r = runCli(["scan", logPath("vhost"), "--no-detect", "--format", "apache"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${logPath("vhost")}: format apache leaves key fields empty or invalid (client address on ${SENT.length} of ${SENT.length} requests)`);
  });

  test("a JSON address key Moat does not know: a counted warning from moat scan and moat doctor, and --json-map fixes it", () => {
    const warning = `format json leaves key fields empty or invalid (client address on ${SENT.length} of ${SENT.length} requests)`;
    const scan = runCli(["scan", logPath("peer"), "--no-detect"]);
    expect(scan.code).toBe(0);
    expect(scan.stderr).toContain(warning);
    expect(scan.stderr).toContain("--json-map remote_addr=<key>");
    const mapped = runCli(["scan", logPath("peer"), "--no-detect", "--format", "json", "--json-map", "remote_addr=peer"]);
    expect([mapped.code, mapped.stderr]).toEqual([0, ""]);
    const doctor = runCli(["doctor", "--log", logPath("peer"), "-c", "/dev/null", "--db", nginx.path("moat.db"), "--port", "0", "--nginx", `127.0.0.1:${nginx.port}`, "--json"]);
    const findings = JSON.parse(doctor.stdout) as { check: string; status: string; message: string }[];
    expect(findings.find((f) => f.check === `log ${logPath("peer")} fields`)).toMatchObject({ status: "warn", message: expect.stringContaining(warning) });
  });

  test("moat serve following that JSON log: a logged warning and an activity, with counts", async () => {
    const db = nginx.path("serve.db");
    const moat = startServe(["--log", logPath("peer"), "--db", db]);
    try {
      await waitFor("the key-field warning", () => moat.stderr().includes("log lines read with key fields empty"), 60_000, serveDetail(moat, () => null));
      expect(moat.stderr()).toContain(`client address on ${SENT.length} of ${SENT.length} requests`);
      const sqlite = openReadonly(db);
      const rows = sqlite.query("select title, details from activities where type = 'parse.errors'").all() as { title: string; details: string }[];
      sqlite.close();
      expect(rows).toEqual([{ title: "Log lines read with key fields empty", details: expect.stringContaining(`${logPath("peer")}: format json leaves key fields empty or invalid`) }]);
    } finally {
      moat.proc.kill("SIGTERM");
      await moat.proc.exited;
    }
  }, 90_000);
});

function expectSent(r: HttpRequest, s: Sent): void {
  const q = s.target.indexOf("?");
  expect(r.clientIp).toBe("127.0.0.1");
  expect(r.method).toBe(s.method);
  expect(r.path).toBe(q === -1 ? s.target : s.target.slice(0, q));
  expect(r.query).toBe(q === -1 ? "" : s.target.slice(q + 1));
  expect(r.status).toBe(s.target === "/missing" ? 404 : 200);
  expect(r.referer).toBe(s.referer ?? "");
  expect(r.userAgent).toBe(s.userAgent);
  expect(Math.abs(r.time! - Date.now())).toBeLessThan(10 * 60_000);
}
