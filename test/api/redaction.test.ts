/**
 * Secrets are redacted at ingestion (src/detect/redact.ts) on every path a request takes — a followed
 * log, an inline check, `moat scan` — after judging and before anything is stored or published: the
 * database, /api/threats/{id}, the live bus and the WebSocket never hold a credential, yet keep its
 * name, length, keyed hash and the evidence of an attack hidden in it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import type { TestServices } from "../helpers/api.ts";
import type { BusEvent } from "../../src/pipeline/bus.ts";
import type { Ingest } from "../../src/pipeline/sources/tail.ts";
import { scan } from "../../src/scan/scan.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import { redactionKeyPath } from "../../src/store/redaction-key.ts";
import { apiData, callApi, followLogs, makeApiServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";
import type { CheckAnswerT } from "../../src/api/inline-check.ts";

const SESSION = "s3ss10n-Secret-Value-0123456789abcdef";
const BEARER = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0cGF5bG9hZA.c2lnbmF0dXJl";
const PASSWORD = "hunter2-Correct-Horse";
const API_KEY = "ak_live_9f8e7d6c5b4a3f2e";
const TOKEN = "tok-REFRESH-77aa88bb99";
const SECRETS = [SESSION, BEARER, PASSWORD, API_KEY, TOKEN];
/** An SQL injection in a cookie: caught, and its evidence stays visible. */
const COOKIE_SQLI = "1' UNION SELECT password FROM users--";

const headers = { cookie: `session=${SESSION}; pref=${COOKIE_SQLI}`, authorization: `Bearer ${BEARER}`, "x-api-key": API_KEY, "content-type": "application/x-www-form-urlencoded" };
const CHECK = { method: "POST", path: "/login", query_params: { next: "/home", access_token: TOKEN }, headers, body: `user=bob&password=${PASSWORD}` };
/** The same request as a JSON access log line, as nginx writes it with escape=json. */
const LOG_LINE = JSON.stringify({
  time: new Date().toISOString(),
  remote_addr: "203.0.113.50",
  request: `POST /login?next=%2Fhome&access_token=${TOKEN} HTTP/1.1`,
  status: 200,
  http_user_agent: "Mozilla/5.0",
  http_cookie: headers.cookie,
  http_authorization: headers.authorization,
  http_x_api_key: API_KEY,
  content_type: "application/x-www-form-urlencoded",
  request_body: `user=bob&password=${PASSWORD}`,
});

interface Redaction {
  field: string;
  length: number;
  sha: string;
  evidence: string[];
}
interface Detail {
  id: number;
  request: { raw: string; query: string; headers: Record<string, string>; body: string | null; redacted: Redaction[] };
  normalized: { field: string; raw: string }[];
  reasons: { field: string; name: string; evidence: string; start?: number; end?: number }[];
}

let s: TestServices;
let app: ReturnType<typeof createApi>;
let ingest: Ingest;
let dataDir = "";
const events: BusEvent[] = [];

/** What the installation's key makes of a value: the `sha` a redaction must carry. */
const keyedHash = (value: string) => createHmac("sha256", Buffer.from(readFileSync(redactionKeyPath(dataDir), "utf8").trim(), "hex")).update(value).digest("hex").slice(0, 12);

function expectNoSecret(what: string, text: string): void {
  for (const secret of SECRETS) expect({ what, leaks: text.includes(secret) }).toEqual({ what, leaks: false });
}

function expectRedactions(redacted: Redaction[]): void {
  const byField = new Map(redacted.map((r) => [r.field, r]));
  const expected: [string, string][] = [["cookie.session", SESSION], ["header.authorization", BEARER], ["header.x-api-key", API_KEY], ["body.password", PASSWORD], ["query.access_token", TOKEN], ["cookie.pref", COOKIE_SQLI]];
  for (const [field, value] of expected) expect({ field, ...byField.get(field) }).toMatchObject({ field, length: value.length, sha: keyedHash(value) });
  // Names that mean no secret are left alone.
  expect(redacted.map((r) => r.field)).not.toContain("query.next");
  expect(redacted.map((r) => r.field)).not.toContain("body.user");
}

async function threatDetail(where: string): Promise<Detail> {
  const row = s.ctx.store.sqlite!.query(`select id from threats where ${where} order by id desc limit 1`).get() as { id: number };
  return apiData<Detail>(app, "GET", `/api/threats/${row.id}`);
}

beforeAll(async () => {
  dataDir = tempDir("moat-redact-");
  s = await makeApiServices({}, dataDir);
  s.ctx.bus.subscribe((e) => events.push(e));
  app = createApi(s);
  const log = join(tempDir("moat-redact-log-"), "access.json.log");
  writeFileSync(log, `${LOG_LINE}\n`);
  ingest = followLogs(s, [log]);
  await waitFor("the log ingested", () => s.sources()[0]?.lines === 1);
  // /check answers bare (no envelope).
  const answer = (await callApi(app, "POST", "/check", CHECK)).body as unknown as CheckAnswerT;
  // The caller's own answer is judged on the real values: the cookie's SQL injection is caught.
  expect(answer).toMatchObject({ is_anomaly: true, attack_type: "sqli" });
  expect(answer.reasons[0]).toMatchObject({ field: "cookie.pref", evidence: expect.stringMatching(/union select/i) });
  s.writeBehind.flush();
});

afterAll(async () => {
  await ingest.close();
  s.ctx.store.close();
});

describe("redaction at ingestion", () => {
  test("the key is made once per installation, readable by its owner alone", () => {
    expect(statSync(redactionKeyPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(redactionKeyPath(dataDir), "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  for (const [path, where] of [["an inline check", "source = 'inline'"], ["a followed log", "source != 'inline'"]] as const) {
    test(`${path}: stored and served by /api/threats/{id} without the secrets, with names, lengths, keyed hashes and the evidence`, async () => {
      const rows = s.ctx.store.sqlite!.query(`select * from threats where ${where}`).all();
      expect(rows.length).toBe(1);
      expectNoSecret(`${path}: threat rows`, JSON.stringify(rows));
      expectNoSecret(`${path}: traffic rows`, JSON.stringify(s.ctx.store.sqlite!.query("select * from traffic").all()));

      const d = await threatDetail(where);
      expectNoSecret(`${path}: /api/threats/{id}`, JSON.stringify(d));
      expectRedactions(d.request.redacted);
      // Cookie names stay, values become markers; the scheme of a credential stays.
      expect(d.request.headers.cookie).toMatch(/^session=\[redacted len=37 sha=[0-9a-f]{12}\]; pref=\[redacted len=37 sha=[0-9a-f]{12} shows: .*union select.*\]$/i);
      expect(d.request.headers.authorization).toBe(`Bearer [redacted len=${BEARER.length} sha=${keyedHash(BEARER)}]`);
      expect(d.request.query).toBe(`next=%2Fhome&access_token=[redacted len=${TOKEN.length} sha=${keyedHash(TOKEN)}]`);
      expect(d.request.body).toBe(`user=bob&password=[redacted len=${PASSWORD.length} sha=${keyedHash(PASSWORD)}]`);

      // The SQL injection in the cookie is still the reason, its evidence kept in the redaction and
      // located in the field as stored, so the page can mark it.
      const reason = d.reasons.find((r) => r.field === "cookie.pref")!;
      expect(reason).toMatchObject({ name: "sqli" });
      expect(d.request.redacted.find((r) => r.field === "cookie.pref")!.evidence).toEqual([reason.evidence]);
      const field = d.normalized.find((f) => f.field === "cookie.pref")!;
      expect(field.raw.slice(reason.start, reason.end)).toBe(reason.evidence);
      expect(d.request.raw).toContain(reason.evidence);
    });
  }

  test("the log line shown as received is redacted too, every other byte as logged", async () => {
    const d = await threatDetail("source != 'inline'");
    const expected = LOG_LINE.replace(`session=${SESSION}`, `session=[redacted len=37 sha=${keyedHash(SESSION)}]`)
      .replace(`pref=${COOKIE_SQLI}`, `pref=${d.request.headers.cookie!.split("; pref=")[1]}`)
      .replace(`Bearer ${BEARER}`, `Bearer [redacted len=${BEARER.length} sha=${keyedHash(BEARER)}]`)
      .replace(`"${API_KEY}"`, `"[redacted len=${API_KEY.length} sha=${keyedHash(API_KEY)}]"`)
      .replace(`access_token=${TOKEN}`, `access_token=[redacted len=${TOKEN.length} sha=${keyedHash(TOKEN)}]`)
      .replace(`password=${PASSWORD}`, `password=[redacted len=${PASSWORD.length} sha=${keyedHash(PASSWORD)}]`);
    expect(d.request.raw).toBe(expected);
  });

  test("the live bus, which feeds the WebSocket, the webhook and the alerts, never carries a secret", () => {
    expect(events.filter((e) => e.type === "threat").length).toBe(2);
    expectNoSecret("bus", JSON.stringify(events));
  });

  test("a real WebSocket client of the running API receives the threat without its secrets", async () => {
    const server = createApi(s).listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.server!.port}/ws`);
      const received: string[] = [];
      ws.onmessage = (m) => received.push(String(m.data));
      await waitFor("the socket open", () => ws.readyState === WebSocket.OPEN);
      await callApi(app, "POST", "/check", CHECK);
      s.writeBehind.flush();
      await waitFor("the threat on the socket", () => received.some((m) => m.includes('"threat"')));
      ws.close();
      expectNoSecret("websocket", received.join("\n"));
    } finally {
      await server.stop(true);
    }
  });

  test("moat scan: what it hands on (and prints with --ndjson) is redacted, the attack still judged", async () => {
    const log = join(tempDir("moat-redact-scan-"), "access.json.log");
    writeFileSync(log, `${LOG_LINE}\n`);
    const seen: HttpRequest[] = [];
    const summary = await scan([log], { format: "auto", detector: s.ctx.detector, onRequests: (batch) => void seen.push(...batch) });
    expect(summary.requests).toBe(1);
    expect(seen.length).toBe(1);
    expectNoSecret("scan", JSON.stringify(seen));
    expect(seen[0]!.cookies.map((c) => c.name)).toEqual(["session", "pref"]);
  });
});
