/**
 * The console's address and tail endpoints on real services filled by real ingestion (a log followed
 * as `moat serve` follows it): top attackers with their network and ban, their country and AS from
 * local databases when configured (nulls when not), an address's profile, the tail's rows with query string and latency, the host of a JSON log's threat (for "copy as curl"), and
 * the data's age for the default range.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../src/api/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { openGeo } from "../../src/services/geo.ts";
import { addressActivity } from "../../src/services/addresses.ts";
import type { AddressProfileT, AttackerT, ConsoleTrafficT } from "../../src/api/console-contract.ts";
import type { Ingest } from "../../src/pipeline/sources/tail.ts";
import { formatTimeLocal } from "../../bench/lib/nginx-combined.ts";
import { apiData, apiFailure, followLogs, makeApiServices, type TestServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";
import { writeGeoFixtures } from "../helpers/mmdb.ts";

const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const line = (ip: string, target: string) => `${ip} - - [${formatTimeLocal(Date.now())}] "GET ${target} HTTP/1.1" 200 512 "-" "${UA}"`;
const LINES = [
  ...Array.from({ length: 20 }, (_, i) => line(`198.51.100.${i + 1}`, `/products?id=${i + 1}&color=red`)),
  line("203.0.113.8", "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--"),
  line("203.0.113.8", "/static/..%2f..%2f..%2fetc%2fpasswd"),
  line("203.0.113.8", "/about"),
  line("192.0.2.7", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E"),
];

/** A JSON log, with the response time and the host that `combined` lacks. */
const JSON_LINES = [
  { remote_addr: "192.0.2.60", request_method: "GET", request_uri: "/orders?page=2", status: 200, request_time: "0.012", host: "shop.test", http_user_agent: UA },
  { remote_addr: "192.0.2.60", request_method: "GET", request_uri: "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", status: 200, request_time: "0.003", host: "shop.test", http_user_agent: UA },
].map((l) => JSON.stringify({ time: new Date().toISOString(), ...l }));

let s: TestServices;
let ingest: Ingest;
let app: ReturnType<typeof createApi>;
const data = <T>(method: string, path: string, body?: unknown) => apiData<T>(app, method, path, body);

beforeAll(async () => {
  s = await makeApiServices({ MOAT_BAN_ENABLED: "true", MOAT_BAN_TEST_COMMAND: "" });
  const dir = tempDir("moat-addresses-");
  writeFileSync(join(dir, "access.log"), `${LINES.join("\n")}\n`);
  writeFileSync(join(dir, "access.json.log"), `${JSON_LINES.join("\n")}\n`);
  ingest = followLogs(s, [join(dir, "access.log"), join(dir, "access.json.log")]);
  app = createApi(s);
  const stored = LINES.length + JSON_LINES.length;
  await waitFor("the logs' rows stored", () => (s.ctx.store.sqlite!.query("select count(*) as n from traffic").get() as { n: number }).n === stored);
});

afterAll(async () => {
  await ingest.close();
  s.writeBehind.flush();
  await s.denyList?.idle();
  s.ctx.store.close();
});

describe("an address's activity", () => {
  test("is read through the client-address index, not a scan of the traffic table", () => {
    // The plan of the statement addressActivity itself prepares, not of a copy written here.
    const sqlite = s.ctx.store.sqlite!;
    const prepared: string[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof sqlite.prepare;
    try {
      addressActivity(s.ctx.store, "203.0.113.8");
    } finally {
      sqlite.prepare = prepare;
    }
    const sql = prepared.find((q) => /from "traffic"/.test(q));
    expect(sql).toBeDefined();
    const plan = sqlite.query(`explain query plan ${sql}`).all("203.0.113.8") as { detail: string }[];
    expect(plan.map((p) => p.detail).join("; ")).toContain("USING INDEX traffic_ip_time");
  });
});

describe("GET /api/attackers", () => {
  test("the address with the most threats first, with its /24, its attack types and no ban; a ban by hand then shows", async () => {
    const [top, ...others] = await data<AttackerT[]>("GET", "/api/attackers?range=1h");
    expect(top).toMatchObject({ ip: "203.0.113.8", prefix: "203.0.113.0/24", threats: 2, country: null, asn: null, asOrg: null, ban: null });
    expect([...top!.types].sort()).toEqual(["sqli", "traversal"]); // each of its threats' types, once
    expect(others).toContainEqual(expect.objectContaining({ ip: "192.0.2.7", prefix: "192.0.2.0/24", threats: 1 }));
    await data("POST", "/api/decisions", { ip: "203.0.113.8", duration: "1h", reason: "from the test" });
    const [banned] = await data<AttackerT[]>("GET", "/api/attackers?range=1h&limit=1");
    expect(banned!.ban).toMatchObject({ ip: "203.0.113.8", reason: "from the test", source: "manual" });
    await data("DELETE", "/api/decisions/203.0.113.8");
  });

  test("a bad range or limit is a 400", async () => {
    expect((await apiFailure(app, "GET", "/api/attackers?range=soon")).status).toBe(400);
    expect((await apiFailure(app, "GET", "/api/attackers?limit=0")).status).toBe(400);
  });
});

describe("GET /api/addresses/:ip", () => {
  test("its requests, flagged requests and threats, first and last seen, its network and ban", async () => {
    const p = await data<AddressProfileT>("GET", "/api/addresses/203.0.113.8");
    expect(p).toMatchObject({ ip: "203.0.113.8", prefix: "203.0.113.0/24", requests: 3, flagged: 2, threats: 2, country: null, asn: null, asOrg: null, ban: null });
    expect(Date.parse(p.firstSeen!)).toBeLessThanOrEqual(Date.parse(p.lastSeen!));
    expect(Date.now() - Date.parse(p.lastSeen!)).toBeLessThan(600_000);
  });

  test("an address never seen has nothing; what is not an address is a 400", async () => {
    expect(await data<AddressProfileT>("GET", "/api/addresses/192.0.2.200")).toMatchObject({ requests: 0, threats: 0, firstSeen: null, lastSeen: null });
    expect(await apiFailure(app, "GET", "/api/addresses/not-an-ip")).toMatchObject({ status: 400, message: expect.stringContaining("not an IP address") });
  });
});

describe("with geo.country_db and geo.asn_db", () => {
  /** The same services, with the databases the configuration names, as moat serve opens them. */
  const withGeo = () => {
    const files = writeGeoFixtures(tempDir("moat-addresses-geo-"));
    const { geo } = loadConfig({ env: { MOAT_GEO_COUNTRY_DB: files.country, MOAT_GEO_ASN_DB: files.asn } }).config;
    return createApi({ ...s, geo: openGeo(geo) });
  };

  test("each top attacker carries its country and AS; one the databases do not know, nulls", async () => {
    const geoApp = withGeo();
    const attackers = await apiData<AttackerT[]>(geoApp, "GET", "/api/attackers?range=1h");
    expect(attackers.find((a) => a.ip === "203.0.113.8")).toMatchObject({ threats: 2, country: "NL", asn: 64501, asOrg: "Example Hosting Ltd" });
    expect(attackers.find((a) => a.ip === "192.0.2.7")).toMatchObject({ threats: 1, country: null, asn: null, asOrg: null });
    geoApp.decorator.wsHub.close();
  });

  test("an address's profile carries them too, even for an address never seen; a private one has nulls", async () => {
    const geoApp = withGeo();
    expect(await apiData<AddressProfileT>(geoApp, "GET", "/api/addresses/203.0.113.8")).toMatchObject({ threats: 2, country: "NL", asn: 64501, asOrg: "Example Hosting Ltd" });
    expect(await apiData<AddressProfileT>(geoApp, "GET", "/api/addresses/2001:db8:1::9")).toMatchObject({ requests: 0, country: "JP", asn: 64502, asOrg: "Example IPv6 Net" });
    expect(await apiData<AddressProfileT>(geoApp, "GET", "/api/addresses/10.1.2.3")).toMatchObject({ country: null, asn: null, asOrg: null });
    geoApp.decorator.wsHub.close();
  });
});

describe("GET /api/threats/:id", () => {
  test("a JSON log's threat names the host it was sent to, for copy as curl", async () => {
    const [threat] = await data<{ id: number }[]>("GET", "/api/threats?range=1h&ip=192.0.2.60");
    expect((await data<{ request: { host?: string } }>("GET", `/api/threats/${threat!.id}`)).request.host).toBe("shop.test");
  });
});

describe("GET /api/requests and /api/data-age", () => {
  test("the tail's rows carry the query string and the latency (null: the combined format has no $request_time)", async () => {
    const rows = await data<ConsoleTrafficT[]>("GET", "/api/requests?range=1h&ip=198.51.100.3");
    expect(rows).toEqual([expect.objectContaining({ ip: "198.51.100.3", endpoint: "/products", query: "id=3&color=red", latencyMs: null })]);
    const timed = await data<ConsoleTrafficT[]>("GET", "/api/requests?range=1h&ip=192.0.2.60&verdict=benign");
    expect(timed).toEqual([expect.objectContaining({ endpoint: "/orders", query: "page=2", latencyMs: 12, host: "shop.test" })]);
    const flagged = await data<ConsoleTrafficT[]>("GET", "/api/requests?range=1h&verdict=flagged&limit=2");
    expect(flagged.length).toBe(2);
    expect(flagged.every((r) => r.isAnomaly)).toBe(true);
  });

  test("the data begins at the oldest stored bucket, within the last hours here", async () => {
    const { oldest } = await data<{ oldest: string | null }>("GET", "/api/data-age");
    expect(Date.now() - Date.parse(oldest!)).toBeLessThan(2 * 3_600_000);
  });
});
