/** The redactor alone (src/detect/redact.ts): which names are secrets, and what is made of each kind of value. */
import { describe, expect, test } from "bun:test";
import type { HttpRequest } from "../../src/core/http-request.ts";
import type { Reason } from "../../src/detect/verdict.ts";
import { lastKey, createRedactor, isSecretName } from "../../src/detect/redact.ts";
import { assembleRequest } from "../../src/parse/assemble.ts";
import { ProfileBuilder } from "../../src/detect/site/profile.ts";
import { siteFeatures } from "../../src/detect/site/features.ts";

const KEY = new Uint8Array(32).fill(7);
const redact = createRedactor(KEY);

function request(vars: Record<string, string>, headers?: [string, string][]): HttpRequest {
  return assembleRequest({ vars: { remote_addr: "203.0.113.9", request: "GET / HTTP/1.1", ...vars }, origin: { source: "test" }, headers });
}

const sha = (value: string, key = KEY) => new Bun.CryptoHasher("sha256", key).update(value).digest("hex").slice(0, 12);
const marker = (value: string) => `[redacted len=${value.length} sha=${sha(value)}]`;

describe("lastKey", () => {
  test("a JSON leaf's last key, its array indexes cut, however many lead up to it", () => {
    expect(lastKey("body.user.tokens[0]")).toBe("tokens");
    expect(lastKey("body.json.a[1][22]")).toBe("a");
    expect(lastKey("body.json.a[1]x[2]")).toBe("a[1]x");
    expect(lastKey("body.json.[x]")).toBe("[x]");
    expect(lastKey("[1]")).toBe("");
    // A run of indexes before the key: read once (the pattern once backtracked over it, then matched nothing).
    expect(lastKey(`body.json.${"[1]".repeat(40_000)}x.token[0]`)).toBe("token");
  });
});

describe("isSecretName", () => {
  test("the names an operator expects, in any case and spelling", () => {
    const secret = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey", "apiKey", "X-Auth-Token", "x-csrf-token", "X-XSRF-TOKEN",
      "password", "Passwd", "pwd", "pass", "user[password]", "new_password", "secret", "client_secret", "token", "access_token", "refresh_token", "id_token", "api_key",
      "key", "session", "sessionid", "sessionId", "PHPSESSID", "JSESSIONID", "connect.sid", "sid", "csrf", "_csrf", "auth", "credential", "X-Amz-Credential", "jwt", "otp"];
    for (const name of secret) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
  });

  test("ordinary names are not secrets (a short word only as a whole word)", () => {
    for (const name of ["q", "id", "user", "username", "email", "page", "next", "passenger", "monkey", "keyboard", "author", "compass", "user-agent", "referer", "accept", "host", "x-forwarded-for", "content-type"]) {
      expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: false });
    }
  });
});

describe("createRedactor", () => {
  test("the hash is keyed: another installation's key gives another hash for the same value", () => {
    const req = request({ request: "GET /login?password=hunter2 HTTP/1.1" });
    const ours = redact(req, []).redacted[0]!;
    const theirs = createRedactor(new Uint8Array(32).fill(8))(req, []).redacted[0]!;
    expect(ours).toEqual({ field: "query.password", length: 7, sha: sha("hunter2"), evidence: [] });
    expect(theirs.sha).toBe(sha("hunter2", new Uint8Array(32).fill(8)));
    expect(theirs.sha).not.toBe(ours.sha);
    // Not a plain SHA-256, which anyone could test guesses against.
    expect(ours.sha).not.toBe(new Bun.CryptoHasher("sha256").update("hunter2").digest("hex").slice(0, 12));
  });

  test("percent-encoded secrets are measured and hashed decoded; repeated and encoded names are caught", () => {
    const r = redact(request({ request: "GET /a?pass%77ord=p%40ss+word&token=t1&token=t2&q=shoes HTTP/1.1" }), []);
    expect(r.query).toBe(`pass%77ord=${marker("p@ss word")}&token=${marker("t1")}&token=${marker("t2")}&q=shoes`);
    expect(r.params.map((p) => [p.name, p.value])).toEqual([["password", marker("p@ss word")], ["token", marker("t1")], ["token", marker("t2")], ["q", "shoes"]]);
  });

  test("JSON and text bodies: secret keys at any depth, the JSON stays JSON, a secret inside a string too", () => {
    const body = '{"user":{"name":"bob","password":"p\\"w1234","pin":1234,"remember":true},"api_key":"k-123456","tags":["a"],"note":"plain"}';
    const r = redact(request({ request: "POST /api HTTP/1.1", request_body: body, content_type: "application/json" }), []);
    expect(JSON.parse(r.body!)).toEqual({ user: { name: "bob", password: marker('p"w1234'), pin: marker("1234"), remember: true }, api_key: marker("k-123456"), tags: ["a"], note: "plain" });
    const text = redact(request({ request: "POST /api HTTP/1.1", request_body: "login: bob\nsecret: s3cr3t-value\n" }), []);
    expect(text.body).toBe(`login: bob\nsecret: ${marker("s3cr3t-value")}\n`);
  });

  test("a crafted body (many keys, unterminated quotes) is scanned in one pass and comes out whole", () => {
    const body = 'a="'.repeat(50_000) + 'token="x'.repeat(1000);
    const r = redact(request({ request: "POST /api HTTP/1.1", request_body: body }), []);
    expect(r.body!.startsWith('a="'.repeat(50_000) + "token=")).toBe(true);
    // `token="xtoken="` is one quoted value, then `xtoken=` names the next.
    expect([...new Set(r.redacted.map((x) => x.field))]).toEqual(["body.token", "body.xtoken"]);
    expect(r.body).not.toContain('="x');
  });

  test("evidence of an attack in a secret stays visible in its marker, cut to half the value at most; site reasons about other fields do not leak in", () => {
    const reasons: Reason[] = [
      { field: "body.password", name: "sqli", evidence: "' or 1=1--", detector: "generic", weight: 0.99, detail: "looks like sqli" },
      { field: "query.q", name: "xss", evidence: "<script>", detector: "generic", weight: 0.9, detail: "looks like xss" },
    ];
    const value = "x' OR 1=1--";
    const r = redact(request({ request: "POST /login?q=%3Cscript%3E HTTP/1.1", request_body: `user=bob&password=${value}`, content_type: "application/x-www-form-urlencoded" }), reasons);
    // The evidence span may be (nearly) the whole value: it shows at most half of it, in the marker and
    // in the verdict's reason that is stored beside the request.
    expect(r.body).toBe(`user=bob&password=[redacted len=${value.length} sha=${sha(value)} shows: ' or …]`);
    expect(r.redacted).toEqual([{ field: "body.password", length: value.length, sha: sha(value), evidence: ["' or …"] }]);
    expect(reasons.map((x) => x.evidence)).toEqual(["' or …", "<script>"]);
  });

  test("evidence found in a reading of a secret (Basic credentials decoded) is cut as the secret's own is", () => {
    const credentials = Buffer.from("admin:' UNION SELECT password FROM users WHERE name='MySecretPassword2026").toString("base64");
    const reasons: Reason[] = [{ field: "header.authorization~base64", name: "sqli", evidence: "' UNION SELECT password FROM users WHERE name='MySecretPassword2026", detector: "generic", weight: 0.99, detail: "sql.union" }];
    const r = redact(request({}, [["authorization", `Basic ${credentials}`]]), reasons);
    expect(reasons[0]!.evidence).toBe("' UNION SELECT password FROM use…");
    expect(JSON.stringify(r)).not.toContain("MySecretPassword2026");
  });

  test("evidence found in the headers or cookies read together past the leaf limit is not kept: credentials sit among them", () => {
    const reasons: Reason[] = [
      { field: "cookie", name: "sqli", evidence: "s3ss10n-t0ken' or 1=1", detector: "generic", weight: 0.99, detail: "sql.tautology" },
      { field: "header", name: "xss", evidence: "Bearer abc<script>", detector: "generic", weight: 0.99, detail: "html.script-tag" },
      { field: "body", name: "xss", evidence: "<script>", detector: "generic", weight: 0.99, detail: "html.script-tag" },
    ];
    redact(request({}), reasons);
    expect(reasons.map((r) => r.evidence)).toEqual(["", "", "<script>"]);
  });

  test("evidence found in the query read together past the leaf limit is not kept when a query value is a secret", () => {
    const tautology = (): Reason[] => [{ field: "query", name: "sqli", evidence: "MySecretPassword2026' or 1=1", detector: "generic", weight: 0.99, detail: "sql.tautology" }];
    const withSecret = tautology();
    const r = redact(request({ request: "GET /login?a=1&password=MySecretPassword2026%27%20or%201%3D1-- HTTP/1.1" }), withSecret);
    expect(withSecret[0]!.evidence).toBe("");
    expect(JSON.stringify(r)).not.toContain("MySecretPassword2026");
    // No secret among the query's values: the evidence explains the verdict.
    const without = tautology();
    redact(request({ request: "GET /search?a=1&q=x HTTP/1.1" }), without);
    expect(without[0]!.evidence).toBe("MySecretPassword2026' or 1=1");
  });

  test("log variables: $cookie_NAME and secret-named ones are redacted, the others kept", () => {
    const r = redact(request({ cookie_session: "abcdef123456", arg_token: "t-999999", upstream_addr: "10.0.0.2:8080" }), []);
    expect(r.extra).toEqual({ cookie_session: marker("abcdef123456"), arg_token: marker("t-999999"), upstream_addr: "10.0.0.2:8080" });
  });

  test("a long secret is found in a line that almost repeats it in linear time (the engine's search took line × secret steps)", () => {
    const secret = `ab${"a".repeat(400_000)}`;
    const line = `GET /login?x=${"a".repeat(800_000)}&password=${secret} HTTP/1.1`;
    const r = redact(request({ request: line }), [], line);
    expect(r.raw).toBe(`GET /login?x=${"a".repeat(800_000)}&password=${marker(secret)} HTTP/1.1`);
  });

  test("the raw line keeps what the client sent around a redacted value, `$` sequences included (no replacement pattern is expanded)", () => {
    const line = "GET /login?a=$'&b=$&&password=MySecret2026 HTTP/1.1";
    expect(redact(request({ request: line }), [], line).raw).toBe(`GET /login?a=$'&b=$&&password=${marker("MySecret2026")} HTTP/1.1`);
  });

  test("a raw line the secret cannot be found in by field is dropped rather than kept with the secret", () => {
    const req = request({ request: "GET /x HTTP/1.1" }, [["authorization", "Basic dXNlcjpwYXNz"]]);
    // The log wrote the header in a way no field matches (here: a different separator around it).
    const r = redact(req, [], "GET /x auth=<Basic  dXNlcjpwYXNz>");
    expect(r.raw).toBeUndefined();
    expect(r.headers).toEqual([["authorization", `Basic ${marker("dXNlcjpwYXNz")}`]]);
    // Found by field: kept, redacted.
    expect(redact(req, [], "GET /x auth=<Basic dXNlcjpwYXNz>").raw).toBe(`GET /x auth=<Basic ${marker("dXNlcjpwYXNz")}>`);
  });

  test("Set-Cookie keeps the cookie's name and attributes", () => {
    const r = redact(request({}, [["set-cookie", "sid=abc123456; Path=/; HttpOnly"]]), []);
    expect(r.headers).toEqual([["set-cookie", `sid=${marker("abc123456")}; Path=/; HttpOnly`]]);
  });
});

describe("the site model and secrets", () => {
  test("it learns that a secret parameter is sent, not its values (stored traffic holds only markers), so a real value is no departure", () => {
    const builder = new ProfileBuilder();
    // What a retrain reads back from stored traffic: the token's values are markers.
    for (let i = 0; i < 200; i++) builder.add(redact(request({ request: `GET /account?page=${i % 5}&token=t${i}-${"x".repeat(i % 7)} HTTP/1.1` }), []));
    const profile = builder.build();
    const live = request({ request: "GET /account?page=2&token=Zq8%2B%2F~Long.Real.Token.Value_0123456789 HTTP/1.1" });
    const fields = siteFeatures(profile, live, 0).findings.map((f) => f.field);
    expect(fields).not.toContain("query.token");
    // A parameter never sent before is still a departure, secret or not.
    expect(siteFeatures(profile, request({ request: "GET /account?page=2&api_key=abc HTTP/1.1" }), 0).findings.map((f) => [f.feature, f.field])).toContainEqual(["unknownParams", "query.api_key"]);
  });
});
