/** Small evaluation sets written for the tests: a go-ftw test folder and a blazehttp-style requests file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { siteSplit } from "../../../src/training/corpus/blazehttp.ts";
import { tempDir } from "../../helpers/tmp.ts";

const HEADERS = `          headers:
            Host: localhost
            User-Agent: "OWASP CRS test agent"
            Accept: text/html`;

function ftwTest(id: number, input: string, output: string): string {
  return `  - test_id: ${id}
    stages:
      - input:
          dest_addr: 127.0.0.1
          port: 80
${input}
        output:
${output}`;
}

/** A go-ftw folder: 942 with a JSON and a multipart attack, a no-expect form post, a malformed request and a status-only test; 920 with a header attack; one file all comments. */
export function crsFixture(): string {
  const dir = tempDir("moat-crs-");
  mkdirSync(join(dir, "REQUEST-942-APPLICATION-ATTACK-SQLI"));
  mkdirSync(join(dir, "REQUEST-920-PROTOCOL-ENFORCEMENT"));
  mkdirSync(join(dir, "RESPONSE-951-DATA-LEAKAGES-SQL"));
  const sqli = [
    "---",
    "rule_id: 942100",
    "tests:",
    ftwTest(1, `${HEADERS}
            Content-Type: application/json
          method: POST
          uri: "/post"
          data: '{"user": {"id": "1 OR 1=1"}}'
          version: HTTP/1.1`, `          log:
            expect_ids: [942100]`),
    ftwTest(2, `${HEADERS}
            Content-Type: "multipart/form-data; boundary=XyZ"
          method: POST
          uri: "/upload"
          data: |
            --XyZ
            Content-Disposition: form-data; name="comment"

            1' UNION SELECT password FROM users--
            --XyZ--`, `          log:
            expect_ids: [942100, 949110]`),
    ftwTest(3, `${HEADERS}
            Content-Type: application/x-www-form-urlencoded
          method: POST
          uri: "/post"
          data: "name=Mary+O%27Brien&city=Dublin"`, `          log:
            no_expect_ids: [942100]`),
    // The request line has a pipe before the method: Moat's parser rejects it.
    ftwTest(4, `          encoded_request: "${Buffer.from("|GET /get HTTP/1.1\r\nHost: localhost\r\n\r\n").toString("base64")}"`, `          log:
            expect_ids: [942100]`),
    ftwTest(5, `${HEADERS}
          uri: "/"`, `          status: 200`),
  ].join("\n");
  writeFileSync(join(dir, "REQUEST-942-APPLICATION-ATTACK-SQLI", "942100.yaml"), sqli + "\n");
  const protocol = ["---", "rule_id: 920280", "tests:", ftwTest(1, `${HEADERS}
            X-Original-Url: "/admin' OR 1=1--"
          uri: "/?page=2"`, `          log:
            expect_ids: [920280]`)].join("\n");
  writeFileSync(join(dir, "REQUEST-920-PROTOCOL-ENFORCEMENT", "920280.yaml"), protocol + "\n");
  writeFileSync(join(dir, "REQUEST-920-PROTOCOL-ENFORCEMENT", "920539.yaml"), "# no tests here\n# ---\n");
  // Response tests are not request inspection: never read.
  writeFileSync(join(dir, "RESPONSE-951-DATA-LEAKAGES-SQL", "951110.yaml"), sqli + "\n");
  return dir;
}

/** Two names whose sites fall on either side of the split, found (not assumed) so the fixture holds whatever the hash. */
export function sitesOnBothSides(): { dev: string; test: string } {
  const names = Array.from({ length: 50 }, (_, i) => `site${i}.example`);
  return { dev: names.find((n) => siteSplit(n) === "dev")!, test: names.find((n) => siteSplit(n) === "test")! };
}

/** A requests.jsonl.gz of two sites (3 dev-site requests, 2 test-site ones, one flagged path each) and one line that is no request. */
export function blazeFixture(): string {
  const { dev, test } = sitesOnBothSides();
  const get = (path: string, host: string) => `GET ${path} HTTP/1.1\r\nHost: www.${host}\r\nUser-Agent: Mozilla/5.0\r\nReferer: https://www.${host}/\r\n\r\n`;
  const post = (host: string) => `POST /api/log HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"statusCode":"ok","n":1}`;
  const lines = [
    { site: dev, raw: get("/index.html", dev) },
    { site: dev, raw: get("/flag/me?x=1", dev) },
    { site: dev, raw: post(dev) },
    { site: test, raw: get("/", test) },
    { site: test, raw: get("/flag/too", test) },
    { site: test, raw: "this is not an HTTP request" },
  ].map((l) => JSON.stringify(l));
  const file = join(tempDir("moat-blaze-"), "requests.jsonl.gz");
  writeFileSync(file, gzipSync(lines.join("\n") + "\nnot json\n"));
  return file;
}
