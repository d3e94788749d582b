/**
 * Country and ASN of client addresses from local MaxMind-format databases: the test writer's files
 * read back by mmdb-lib as the format says, the lookups (known, unknown, private, hostile input), a
 * file that cannot be used (logged, failed by doctor, and moat serve runs without it).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Reader, type Response } from "mmdb-lib";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { openGeo, startGeo, type GeoInfo } from "../../src/services/geo.ts";
import { checkGeo } from "../../src/serve/doctor.ts";
import { asnRecord, buildMmdb, countryRecord, writeGeoFixtures } from "../helpers/mmdb.ts";
import { startServe, waitFor, waitForListening, serveDetail } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

const NOTHING: GeoInfo = { country: null, asn: null, asOrg: null };
const geoConfig = (env: Record<string, string>) => loadConfig({ env: { MOAT_STORAGE_DATA_DIR: tempDir(), ...env } }).config;

describe("the test's MaxMind DB writer", () => {
  const cases = [
    { ipVersion: 6, recordSize: 24 },
    { ipVersion: 6, recordSize: 32 },
    { ipVersion: 4, recordSize: 24 },
    { ipVersion: 4, recordSize: 32 },
  ] as const;
  for (const { ipVersion, recordSize } of cases) {
    test(`ip_version ${ipVersion}, ${recordSize}-bit records: mmdb-lib reads its metadata and finds each network at its prefix length`, () => {
      const long = "x".repeat(70_000); // sizes past 28, 284 and 65,820 bytes take one, two and three more bytes
      const networks = [
        { network: "203.0.0.0/16", data: asnRecord(64500, "Wide") },
        { network: "203.0.113.0/25", data: asnRecord(64501, "Narrow inside it") },
        { network: "198.51.100.0/24", data: { name: "y".repeat(300), also: "z".repeat(40), longest: long, list: ["a", 1, true], ratio: 0.25 } },
        ...(ipVersion === 6 ? [{ network: "2001:db8:1::/48", data: countryRecord("JP", "Japan") }] : []),
      ];
      const reader = new Reader<Response>(buildMmdb(networks, { databaseType: "Test-DB", ipVersion, recordSize, buildEpoch: 1_767_657_600, description: "fixture" }));
      expect(reader.metadata).toMatchObject({ binaryFormatMajorVersion: 2, binaryFormatMinorVersion: 0, databaseType: "Test-DB", ipVersion, recordSize, languages: ["en"], description: { en: "fixture" } as unknown as string });
      expect(reader.metadata.buildEpoch.toISOString()).toBe("2026-01-06T00:00:00.000Z");
      expect(reader.getWithPrefixLength("203.0.113.8")).toEqual([asnRecord(64501, "Narrow inside it") as Response, 25]);
      // The wide network is split around the narrow one, as a reader sees any such database: the rest of it is found at the split's depth.
      expect(reader.getWithPrefixLength("203.0.113.200")).toEqual([asnRecord(64500, "Wide") as Response, 25]);
      expect(reader.getWithPrefixLength("203.0.200.1")).toEqual([asnRecord(64500, "Wide") as Response, 17]);
      expect(reader.get("198.51.100.77")).toEqual({ name: "y".repeat(300), also: "z".repeat(40), longest: long, list: ["a", 1, true], ratio: 0.25 } as unknown as Response);
      expect(reader.get("192.0.2.1")).toBeNull();
      if (ipVersion === 6) {
        expect(reader.getWithPrefixLength("2001:db8:1:2::3")).toEqual([countryRecord("JP", "Japan") as Response, 48]);
        expect(reader.get("2001:db8:2::1")).toBeNull();
      }
    });
  }

  test("equal records are stored once", () => {
    const one = buildMmdb([{ network: "192.0.2.0/24", data: countryRecord("NL", "Netherlands") }], { databaseType: "T" });
    const two = buildMmdb(
      [
        { network: "192.0.2.0/24", data: countryRecord("NL", "Netherlands") },
        { network: "198.51.100.0/24", data: countryRecord("NL", "Netherlands") },
      ],
      { databaseType: "T" },
    );
    const dataBytes = (b: Buffer) => b.length - new Reader<Response>(b).metadata.searchTreeSize;
    expect(dataBytes(two)).toBe(dataBytes(one));
  });
});

describe("geo lookups", () => {
  const files = writeGeoFixtures(tempDir("moat-geo-"));
  const geo = openGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: files.country, MOAT_GEO_ASN_DB: files.asn }).geo);

  test("MOAT_GEO_* name the files; both are read, with their type and build date", () => {
    expect(geo.problems).toEqual([]);
    expect(geo.databases.map((d) => [d.key, d.path, d.type, d.builtAt.toISOString()])).toEqual([
      ["geo.country_db", files.country, "GeoLite2-Country", "2026-01-06T00:00:00.000Z"],
      ["geo.asn_db", files.asn, "GeoLite2-ASN", "2026-01-06T00:00:00.000Z"],
    ]);
  });

  test("an address in the databases has its country and its AS, the narrowest network's", () => {
    expect(geo.lookup("203.0.113.8")).toEqual({ country: "NL", asn: 64501, asOrg: "Example Hosting Ltd" });
    expect(geo.lookup("203.0.113.200")).toEqual({ country: "NL", asn: 64500, asOrg: "Example Transit B.V." });
    expect(geo.lookup("203.0.7.1")).toEqual({ country: null, asn: 64500, asOrg: "Example Transit B.V." });
  });

  test("IPv6, in any spelling; an IPv4-mapped address as its IPv4 address", () => {
    expect(geo.lookup("2001:db8:1::5")).toEqual({ country: "JP", asn: 64502, asOrg: "Example IPv6 Net" });
    expect(geo.lookup("2001:0DB8:0001:0000:0000:0000:0000:0005")).toEqual(geo.lookup("2001:db8:1::5"));
    expect(geo.lookup("::ffff:203.0.113.8")).toEqual({ country: "NL", asn: 64501, asOrg: "Example Hosting Ltd" });
  });

  test("an address the databases do not know, and DB-IP's unknown country ZZ, give nulls", () => {
    expect(geo.lookup("192.0.2.7")).toEqual(NOTHING);
    expect(geo.lookup("192.0.2.200")).toEqual(NOTHING);
    expect(geo.lookup("2001:db9::1")).toEqual(NOTHING);
  });

  test("private, loopback, link-local and multicast addresses give nulls, even where the database lists them", () => {
    expect(new Reader<Response>(readFileSync(files.country)).get("10.1.2.3")).toEqual(countryRecord("US", "United States") as Response);
    for (const ip of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "ff02::1", "::ffff:10.1.2.3"]) {
      expect({ ip, geo: geo.lookup(ip) }).toEqual({ ip, geo: NOTHING });
    }
  });

  test("a long AS name is cut to 200 characters", () => {
    const org = geo.lookup("198.51.100.1").asOrg!;
    expect(org.length).toBe(200);
    expect(org.startsWith("Example Very Very")).toBe(true);
  });

  test("what is not exactly one address gives nulls, and no input throws", () => {
    for (const text of ["", "not-an-ip", "203.0.113.8/24", " 203.0.113.8", "203.0.113.8:443", "203.0.113.256", "2001:db8::1%eth0", "1".repeat(10_000), "::ffff:999.1.1.1"]) {
      expect(geo.lookup(text)).toEqual(NOTHING);
    }
    for (const hostile of [null, undefined, 42, {}, ["203.0.113.8"]]) expect(geo.lookup(hostile as unknown as string)).toEqual(NOTHING);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (text) => {
        const info = geo.lookup(text);
        expect(info.country === null || /^[A-Z]{2}$/.test(info.country)).toBe(true);
        expect(info.asn === null || Number.isInteger(info.asn)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("one database alone answers its own part; none configured answers nulls", () => {
    expect(openGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: files.country }).geo).lookup("203.0.113.8")).toEqual({ country: "NL", asn: null, asOrg: null });
    expect(openGeo(geoConfig({ MOAT_GEO_ASN_DB: files.asn }).geo).lookup("203.0.113.8")).toEqual({ country: null, asn: 64501, asOrg: "Example Hosting Ltd" });
    const none = openGeo(geoConfig({}).geo);
    expect([none.databases, none.problems, none.lookup("203.0.113.8")]).toEqual([[], [], NOTHING]);
  });

  test("an IPv4-only database answers IPv4 and nothing for IPv6", () => {
    const v4 = join(tempDir("moat-geo-v4-"), "v4.mmdb");
    writeFileSync(v4, buildMmdb([{ network: "203.0.113.0/24", data: asnRecord(64500, "Example Transit B.V.") }], { databaseType: "GeoLite2-ASN", ipVersion: 4 }));
    const g = openGeo(geoConfig({ MOAT_GEO_ASN_DB: v4 }).geo);
    expect(g.lookup("203.0.113.8")).toEqual({ country: null, asn: 64500, asOrg: "Example Transit B.V." });
    expect(g.lookup("::ffff:203.0.113.8")).toEqual({ country: null, asn: 64500, asOrg: "Example Transit B.V." });
    expect(g.lookup("2001:db8::1")).toEqual(NOTHING);
  });

  test("records of the wrong shape give nulls, not garbage", () => {
    const dir = tempDir("moat-geo-odd-");
    const odd = join(dir, "odd.mmdb");
    writeFileSync(
      odd,
      buildMmdb(
        [
          { network: "192.0.2.0/25", data: { country: { iso_code: 44 }, autonomous_system_number: -1, autonomous_system_organization: "   " } },
          { network: "198.51.100.0/24", data: { country: { iso_code: "nl" }, autonomous_system_number: 1.5, autonomous_system_organization: ["x"] } },
          { network: "203.0.113.0/24", data: "just a string" },
        ],
        { databaseType: "Odd" },
      ),
    );
    const g = openGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: odd, MOAT_GEO_ASN_DB: odd }).geo);
    for (const ip of ["192.0.2.1", "198.51.100.1", "203.0.113.1"]) expect(g.lookup(ip)).toEqual(NOTHING);
  });
});

describe("a configured file that cannot be used", () => {
  const dir = tempDir("moat-geo-bad-");
  const files = writeGeoFixtures(dir);
  const missing = join(dir, "GeoLite2-Country.mmdb");
  const text = join(dir, "notes.mmdb");
  writeFileSync(text, "this is not a database\n".repeat(100));
  const truncated = join(dir, "truncated.mmdb");
  const whole = buildMmdb([{ network: "203.0.113.0/24", data: countryRecord("NL", "Netherlands") }], { databaseType: "GeoLite2-Country" });
  writeFileSync(truncated, whole.subarray(whole.indexOf(Buffer.from("\xAB\xCD\xEFMaxMind.com", "latin1")))); // the metadata alone: its tree is missing
  const empty = join(dir, "empty.mmdb");
  writeFileSync(empty, "");

  test("each is a problem naming the key and the file, and the other database still answers", () => {
    const geo = openGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: missing, MOAT_GEO_ASN_DB: files.asn }).geo);
    expect(geo.problems).toEqual([{ key: "geo.country_db", path: missing, message: `geo.country_db: cannot read ${missing} (ENOENT)` }]);
    expect(geo.lookup("203.0.113.8")).toEqual({ country: null, asn: 64501, asOrg: "Example Hosting Ltd" });
    for (const bad of [text, truncated, empty, dir]) {
      const broken = openGeo(geoConfig({ MOAT_GEO_ASN_DB: bad }).geo);
      expect(broken.databases).toEqual([]);
      expect(broken.problems).toHaveLength(1);
      expect(broken.problems[0]!.message).toStartWith(`geo.asn_db: `);
      expect(broken.problems[0]!.message).toContain(bad);
      expect(broken.lookup("203.0.113.8")).toEqual(NOTHING);
    }
    expect(openGeo(geoConfig({ MOAT_GEO_ASN_DB: truncated }).geo).problems[0]!.message).toContain("its metadata does not describe a MaxMind DB version 2 search tree");
  });

  test("start-up logs it as an error and goes on", () => {
    const lines: string[] = [];
    const geo = startGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: text, MOAT_GEO_ASN_DB: files.asn }).geo, createLogger({ level: "info", format: "json", write: (l) => lines.push(l) }));
    const records = lines.map((l) => JSON.parse(l) as Record<string, string>);
    expect(records.find((r) => r.level === "error")).toMatchObject({ key: "geo.country_db", file: text, error: expect.stringContaining("not a usable MaxMind DB") });
    expect(records.find((r) => r.level === "info")).toMatchObject({ msg: "geo database", key: "geo.asn_db", file: files.asn, type: "GeoLite2-ASN", built: "2026-01-06" });
    expect(geo.lookup("203.0.113.8").asn).toBe(64501);
  });

  test("moat doctor: ok with what is used, fail for a file it cannot use, nothing when not configured", () => {
    expect(checkGeo(geoConfig({}))).toEqual([]);
    expect(checkGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: files.country, MOAT_GEO_ASN_DB: files.asn }))).toEqual([
      { check: "geo", status: "ok", message: `country from ${files.country} (GeoLite2-Country, built 2026-01-06); ASN from ${files.asn} (GeoLite2-ASN, built 2026-01-06)` },
    ]);
    expect(checkGeo(geoConfig({ MOAT_GEO_COUNTRY_DB: missing, MOAT_GEO_ASN_DB: files.asn }))).toEqual([
      { check: "geo", status: "fail", message: `geo.country_db: cannot read ${missing} (ENOENT): moat serve runs without it; fix the file or empty geo.country_db` },
      { check: "geo", status: "ok", message: `ASN from ${files.asn} (GeoLite2-ASN, built 2026-01-06)` },
    ]);
  });

  test("moat serve starts with a missing country file, says so, and shows the ASN of its attackers", async () => {
    const work = tempDir("moat-geo-serve-");
    const log = join(work, "access.log");
    const when = new Date().toISOString();
    writeFileSync(log, `${JSON.stringify({ time: when, remote_addr: "203.0.113.8", request_method: "GET", request_uri: "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", status: 200, http_user_agent: "curl/8.0" })}\n`);
    const serve = startServe(["--log", log], { MOAT_STORAGE_DATA_DIR: work, MOAT_SECURITY_NGINX_CONF: "", MOAT_GEO_COUNTRY_DB: missing, MOAT_GEO_ASN_DB: files.asn });
    try {
      const base = await waitForListening(serve);
      expect(serve.stderr()).toContain("level=error");
      expect(serve.stderr()).toContain(`geo.country_db: cannot read ${missing} (ENOENT)`);
      type Row = { ip: string; country: string | null; asn: number | null; asOrg: string | null };
      let attackers: Row[] = [];
      await waitFor(
        "the attacker listed",
        async () => {
          attackers = ((await (await fetch(`${base}/api/attackers?range=1h`)).json()) as { data: Row[] }).data;
          return attackers.length > 0;
        },
        30_000,
        serveDetail(serve, () => attackers),
      );
      expect(attackers[0]).toMatchObject({ ip: "203.0.113.8", country: null, asn: 64501, asOrg: "Example Hosting Ltd" });
    } finally {
      serve.proc.kill("SIGTERM");
      await serve.proc.exited;
    }
  });
});
