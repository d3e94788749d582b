/**
 * Bad input never breaks the pipeline. Random text, random bytes, valid lines with random damage and
 * valid lines carrying any text go through every parser (a request, or a parse error that says why;
 * an explanation; never an exception), and every request that parses is judged by the generic model
 * and by a site model (a verdict with a score in [0, 1], reasons when flagged; never an exception).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { Detector } from "../../src/detect/detector.ts";
import { SiteModel } from "../../src/detect/site/model.ts";
import { trainSiteModel } from "../../src/training/site/train.ts";
import { createParser } from "../../src/parse/formats.ts";
import { shopLogLines } from "../helpers/site-traffic.ts";

const NGINX_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$http_x_forwarded_for" "$request_body"';
const PARSERS = [
  createParser({ format: "combined" }),
  createParser({ format: "nginx", logFormat: NGINX_FORMAT }),
  createParser({ format: "json" }),
  createParser({ format: "apache" }),
  createParser({ format: "raw-http" }),
];

const VALID = [
  '203.0.113.7 - - [24/Nov/2026:12:00:00 +0000] "GET /search?q=shoes&page=2 HTTP/1.1" 200 512 "https://shop.test/" "Mozilla/5.0 (X11; Linux x86_64)"',
  '203.0.113.7 - - [24/Nov/2026:12:00:00 +0000] "POST /login HTTP/1.1" 302 0 "-" "curl/8.5.0" 0.004 "-" "user=ann&pass=x%27%20or%201%3D1"',
  '{"time":"2026-11-24T12:00:00+00:00","remote_addr":"203.0.113.7","request":"GET /a?b=%3Cscript%3E HTTP/1.1","status":200,"http_user_agent":"ua"}',
  "GET /items?id=1%27 HTTP/1.1\r\nHost: shop.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":[1,2,3]}",
];

/** A valid line with random damage: characters inserted, deleted or replaced at random places. */
const damaged = fc
  .tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.string({ unit: "binary", maxLength: 8 })), { minLength: 1, maxLength: 6 }))
  .map(([line, edits]) => edits.reduce((text, [at, cut, insert]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + insert + text.slice(i + cut);
  }, line));
const bytes = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("latin1"));
/** Valid lines carrying any text, as sent: percent-encoded in the query, raw in a header. */
const carrying = fc.string({ unit: "binary", maxLength: 300 }).chain((v) =>
  fc.constantFrom(
    VALID[0]!.replace("shoes", encodeURIComponent(v)),
    VALID[1]!.replace("user=ann", `user=${encodeURIComponent(v)}`),
    VALID[3]!.replace("Host: shop.test", `Host: shop.test\r\nX-Note: ${v.replace(/[\r\n]/g, " ")}`),
  ),
);
const anyLine = fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), bytes, damaged, carrying, fc.jsonValue().map((v) => JSON.stringify(v)));

describe("bad input through parse and judge", () => {
  test("every parser answers a request or a parse error with a reason, and explains, for any text", () => {
    fc.assert(
      fc.property(anyLine, (text) => {
        for (const parser of PARSERS) {
          const r = parser.parse(text, { source: "fuzz", line: 1 });
          if (isParseError(r)) expect(r.reason.length).toBeGreaterThan(0);
          else expect(typeof r.path).toBe("string");
          parser.explain(text, { source: "fuzz", line: 1 }); // moat explain: never throws either
        }
      }),
      { numRuns: 3000, seed: 20261124 },
    );
  });

  test("every request that parses is judged, by the generic model alone and with a site model: a verdict with a score in [0, 1]", async () => {
    const generic = await Detector.load();
    const combined = PARSERS[0]!;
    const shop = shopLogLines(2000, 9).map((l, i) => combined.parse(l, { source: "shop", line: i + 1 }) as HttpRequest);
    const site = await SiteModel.fromBytes((await trainSiteModel(shop, generic.generic, { targetFpr: 0.01, seed: 1 })).bytes);
    const withSite = Detector.fromModels(generic.generic, site);
    const requests: HttpRequest[] = [];
    fc.assert(
      fc.property(anyLine, (text) => {
        for (const parser of PARSERS) {
          const r = parser.parse(text, { source: "fuzz", line: 1 });
          if (!isParseError(r)) requests.push(r);
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(requests.length).toBeGreaterThan(1000); // valid lines carrying any text parse
    for (const detector of [generic, withSite]) {
      const verdicts = await detector.judge(requests);
      expect(verdicts).toHaveLength(requests.length);
      for (const v of verdicts) {
        expect(v.score).toBeGreaterThanOrEqual(0);
        expect(v.score).toBeLessThanOrEqual(1);
        if (v.isAnomaly) expect(v.reasons.length).toBeGreaterThan(0);
      }
    }
  }, 60_000);
});
