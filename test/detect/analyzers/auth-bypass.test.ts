import { describe, expect, test } from "bun:test";
import { accessOverrides, authBypassAnalyzer } from "../../../src/detect/analyzers/auth-bypass.ts";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { isParseError, type HttpRequest } from "../../../src/core/http-request.ts";
import { rawHttpParser } from "../../../src/parse/raw-http.ts";
import { HUGE, leaf, wideJunk } from "./helpers.ts";

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const token = (header: unknown, signature = "") => `${b64(header)}.${b64({ sub: "admin", role: "admin" })}.${signature}`;

function request(head: string, peer = "203.0.113.9", body = ""): HttpRequest {
  const r = rawHttpParser.parse(`${head}\r\n${body ? `Content-Length: ${body.length}\r\n` : ""}\r\n${body}`, { source: "test" });
  if (isParseError(r)) throw new Error(r.reason);
  r.clientIp = peer;
  return r;
}

/** Every auth finding of the request, as [leaf path, rule, evidence]. */
function authFindings(req: HttpRequest): [string, string, string][] {
  const { leaves } = decompose(req);
  const found = new LeafAnalysis().analyzeRequest(req, leaves);
  return found.flatMap((fs, i) => fs.filter((f) => f.class === "auth-bypass").map((f): [string, string, string] => [leaves[i]!.path, f.rule, leaves[i]!.text.slice(f.start, f.end)]));
}

describe("a token with its signature switched off", () => {
  test("found wherever the token travels, in any spelling of none, with or without a signature", () => {
    const none = token({ alg: "none", typ: "JWT" });
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${none}`))).toEqual([["header.authorization~base64~json.alg", "auth.unsigned-token", "none"]]);
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nCookie: jwt=${token({ typ: "JWT", alg: "NoNe" }, "c2lnbmF0dXJl")}`))).toEqual([["cookie.jwt~base64~json.alg", "auth.unsigned-token", "NoNe"]]);
    expect(authFindings(request(`GET /api/me?access_token=${token({ alg: "NONE" })} HTTP/1.1\r\nHost: a`))).toEqual([["query.access_token~base64~json.alg", "auth.unsigned-token", "NONE"]]);
    const json = JSON.stringify({ token: none });
    expect(authFindings(request(`POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json`, "203.0.113.9", json)).map(([, rule]) => rule)).toEqual(["auth.unsigned-token"]);
  });

  test("a token whose signature was cut off while its header names an algorithm, wherever it travels", () => {
    const stripped = token({ alg: "HS256", typ: "JWT" });
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${stripped}`))).toEqual([["header.authorization", "auth.stripped-signature", ` ${stripped}`]]);
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nCookie: jwt=${stripped}; theme=dark`)).map(([, rule]) => rule)).toEqual(["auth.stripped-signature"]);
    // Signed, or a dotted text that is no token.
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "HS256" }, "c2ln")}`))).toEqual([]);
    expect(authFindings(request(`GET /a?v=eyJhbGciOiJIUzI1NiJ9.notjson. HTTP/1.1\r\nHost: a`))).toEqual([]);
  });

  test("a token header's kid that is a file's path (an empty or public file's content signs); opaque ids and URLs are nothing", () => {
    for (const kid of ["/dev/null", "../../public/css/main.css", "C:\\Windows\\win.ini", "keys/../../../etc/hostname"]) {
      expect([kid, authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "HS256", kid }, "c2ln")}`))]).toEqual([kid, [["header.authorization~base64~json.kid", "auth.key-id-path", kid]]]);
    }
    for (const kid of ["2024-05-key1", "a8f9c1e2d3", "https://issuer.example/keys/1", "rsa/2024"]) {
      expect([kid, authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "RS256", kid }, "c2ln")}`))]).toEqual([kid, []]);
    }
  });

  test("a signed token, and an `alg` that is no token's header, are nothing", () => {
    for (const alg of ["HS256", "RS256", "EdDSA", "none-such"]) {
      expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg, typ: "JWT" }, "c2ln")}`))).toEqual([]);
    }
    // An API's own JSON that names an algorithm, in the clear.
    expect(authFindings(request(`POST /keys HTTP/1.1\r\nHost: a\r\nContent-Type: application/json`, "203.0.113.9", `{"alg":"none","use":"sig"}`))).toEqual([]);
    expect(authBypassAnalyzer.analyze(leaf("none", { name: "alg", path: "query.alg" }))).toEqual([]);
  });

  test("a megabyte value and binary junk: nothing, no throw", () => {
    expect(authBypassAnalyzer.analyze(leaf(HUGE, { name: "alg", path: "cookie.t~base64~json.alg" }))).toEqual([]);
    expect(authBypassAnalyzer.analyze(leaf(wideJunk(), { name: "alg", path: "cookie.t~base64~json.alg" }))).toEqual([]);
  });
});


describe("a token that brings the key to check it with", () => {
  const bearer = (header: unknown) => request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token(header, "c2ln")}`);

  test("its own key (jwk) or a URL to fetch one from (jku, x5u), wherever the token travels", () => {
    expect(authFindings(bearer({ alg: "RS256", jwk: { kty: "RSA", e: "AQAB", n: "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw" } }))).toEqual([["header.authorization~base64~json.jwk.kty", "auth.token-brings-key", "RSA"]]);
    expect(authFindings(bearer({ alg: "RS256", typ: "JWT", jku: "https://attacker.example/jwks.json" }))).toEqual([["header.authorization~base64~json.jku", "auth.token-brings-key", "https://attacker.example/jwks.json"]]);
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nCookie: jwt=${token({ alg: "RS256", x5u: "http://attacker.example/cert.pem" }, "c2ln")}`)).map(([path, rule]) => [path, rule])).toEqual([["cookie.jwt~base64~json.x5u", "auth.token-brings-key"]]);
    // A certificate chain of its own, which a library that builds no path to a trusted root takes as is.
    expect(authFindings(bearer({ alg: "RS256", x5c: ["MIIBxTCCAWugAwIBAgIJAK", "MIIBxTCCAWugAwIBAgIJAL"] }))).toEqual([["header.authorization~base64~json.x5c[0]", "auth.token-brings-key", "MIIBxTCCAWugAwIBAgIJAK"]]);
  });

  test("an ECDSA-signed token whose signature's numbers are zero (psychic signatures), as DER or raw; a real signature is nothing", () => {
    const zeros = Buffer.alloc(64).toString("base64url");
    for (const sig of ["MAYCAQACAQA", zeros]) {
      expect([sig, authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "ES256", typ: "JWT" }, sig)}`)).map(([, rule]) => rule)]).toEqual([sig, ["auth.zero-signature"]]);
    }
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "ES256" }, Buffer.from(Array.from({ length: 64 }, (_, i) => i + 1)).toString("base64url"))}`))).toEqual([]);
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token({ alg: "HS256" }, zeros)}`))).toEqual([]);
  });

  test("a token that brings its key in a parameter or JSON member named for a token, as an API takes one in its body", () => {
    const t = token({ alg: "RS256", x5u: "http://attacker.example/cert.pem" }, "c2ln");
    const body = JSON.stringify({ id_token: t });
    expect(authFindings(request(`POST /api/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)).map(([path, rule]) => [path, rule])).toEqual([["body.json.id_token~base64~json.x5u", "auth.token-brings-key"]]);
    expect(authFindings(request(`GET /a?q=${encodeURIComponent(JSON.stringify({ jwt: t }))} HTTP/1.1\r\nHost: a\r\n\r\n`)).map(([path, rule]) => [path, rule])).toEqual([["query.q~json.jwt~base64~json.x5u", "auth.token-brings-key"]]);
    // A parameter named for something else holds no credential.
    expect(authFindings(request(`GET /a?data=${t} HTTP/1.1\r\nHost: a\r\n\r\n`))).toEqual([]);
  });

  test("a token naming its key by kid, a DPoP proof's own key, a key in the claims, and JWKS documents in the clear are nothing", () => {
    expect(authFindings(bearer({ alg: "RS256", typ: "JWT", kid: "2024-key-1" }))).toEqual([]);
    const proof = token({ typ: "dpop+jwt", alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA" } }, "c2ln");
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nDPoP: ${proof}`))).toEqual([]);
    const popClaims = `${b64({ alg: "RS256", kid: "k" })}.${b64({ sub: "x", cnf: { jwk: { kty: "EC", crv: "P-256", x: "a", y: "b" } } })}.c2ln`;
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${popClaims}`))).toEqual([]);
    expect(authFindings(request(`POST /keys HTTP/1.1\r\nHost: a\r\nContent-Type: application/json`, "203.0.113.9", `{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}],"jku":"https://idp.example/jwks"}`))).toEqual([]);
    // A header that names a key URL that is no URL.
    expect(authFindings(bearer({ alg: "RS256", jku: "key-1" }))).toEqual([]);
  });

  test("protocols that carry a key in a JWS header where no credential travels are nothing (ACME, OpenID4VCI, client assertions, STIR/SHAKEN), nor a key in the claims", () => {
    const jws = (header: unknown) => `${b64(header)}.${b64({ sub: "x" })}.c2ln`;
    const acme = JSON.stringify({ protected: b64({ alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: "a", y: "b" }, nonce: "n", url: "https://acme.example/new-acct" }), payload: b64({ termsOfServiceAgreed: true }), signature: "c2ln" });
    expect(authFindings(request(`POST /acme/new-acct HTTP/1.1\r\nHost: a\r\nContent-Type: application/jose+json`, "203.0.113.9", acme))).toEqual([]);
    const vci = JSON.stringify({ format: "jwt_vc_json", proof: { proof_type: "jwt", jwt: jws({ typ: "openid4vci-proof+jwt", alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: "a", y: "b" } }) } });
    expect(authFindings(request(`POST /credential HTTP/1.1\r\nHost: a\r\nContent-Type: application/json`, "203.0.113.9", vci))).toEqual([]);
    const assertion = `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${jws({ alg: "RS384", kid: "k", jku: "https://client.example/jwks.json" })}`;
    expect(authFindings(request(`POST /token HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded`, "203.0.113.9", assertion))).toEqual([]);
    expect(authFindings(request(`INVITE /sip HTTP/1.1\r\nHost: a\r\nIdentity: ${jws({ alg: "ES256", typ: "passport", ppt: "shaken", x5u: "https://cert.example/sp.pem" })};info=<https://cert.example/sp.pem>`))).toEqual([]);
    expect(authFindings(request(`GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${b64({ alg: "RS256", kid: "k1" })}.${b64({ sub: "x", jwk: { kty: "RSA", e: "AQAB", n: "abc" } })}.c2ln`))).toEqual([]);
  });

  test("a header padded with text beyond ASCII is still read: a token's header is decoded whatever its other bytes", () => {
    const padded = { alg: "RS256", jku: "https://attacker.example/jwks.json", x: "é".repeat(12) };
    expect(authFindings(bearer(padded)).map(([path, rule]) => [path, rule])).toEqual([["header.authorization~base64~json.jku", "auth.token-brings-key"]]);
    expect(authFindings(bearer({ alg: "none", x: "ü".repeat(16) })).map(([, rule]) => rule)).toEqual(["auth.unsigned-token"]);
  });
});
describe("headers that reroute the path or claim the server's own address", () => {
  test("X-Original-URL or X-Rewrite-URL naming another path is found; the request's own path (a proxy's) is not", () => {
    expect(authFindings(request("GET / HTTP/1.1\r\nHost: a\r\nX-Original-URL: /admin/users?delete=1"))).toEqual([["header.x-original-url", "auth.path-override", "/admin/users?delete=1"]]);
    expect(authFindings(request("GET /index.php HTTP/1.1\r\nHost: a\r\nX-Rewrite-URL: /console"))).toEqual([["header.x-rewrite-url", "auth.path-override", "/console"]]);
    expect(authFindings(request("GET /shop/cart?x=1 HTTP/1.1\r\nHost: a\r\nX-Original-URL: /shop/cart?x=1"))).toEqual([]);
    expect(authFindings(request("GET /shop/cart HTTP/1.1\r\nHost: a\r\nX-Original-URL: https://a/shop/cart"))).toEqual([]);
    // Both sides read as a router reads them: dot segments resolved, characters escaped alike.
    expect(authFindings(request("GET /a/./b HTTP/1.1\r\nHost: a\r\nX-Original-URL: https://a/a/./b"))).toEqual([]);
    expect(authFindings(request("GET /s/{id} HTTP/1.1\r\nHost: a\r\nX-Override-URL: /s/{id}"))).toEqual([]);
    expect(authFindings(request("GET /s/1 HTTP/1.1\r\nHost: a\r\nX-Override-URL: /s/1/../../admin"))).toEqual([["header.x-override-url", "auth.path-override", "/s/1/../../admin"]]);
    // Two slashes open no authority in a path: `//admin/users` is not `/users` on a host named admin.
    expect(authFindings(request("GET /users HTTP/1.1\r\nHost: a\r\nX-Original-URL: //admin/users"))).toEqual([["header.x-original-url", "auth.path-override", "//admin/users"]]);
  });

  test("a loopback client claimed over a connection from elsewhere is found, the first entry of a chain read", () => {
    const claims: [string, string][] = [
      ["X-Forwarded-For: 127.0.0.1", "header.x-forwarded-for"],
      ["X-Forwarded-For: 127.0.0.1, 198.51.100.4", "header.x-forwarded-for"],
      ["X-Real-IP: localhost", "header.x-real-ip"],
      ["X-Client-IP: ::1", "header.x-client-ip"],
      ["Forwarded: for=\"[::1]:8080\";proto=https", "header.forwarded"],
      ["Forwarded: proto=https;for=127.0.0.1, for=198.51.100.4", "header.forwarded"],
      ["X-Originating-IP: ::ffff:127.0.0.1", "header.x-originating-ip"],
      ["True-Client-IP: 127.0.0.1:8443", "header.true-client-ip"],
    ];
    for (const [header, path] of claims) expect(authFindings(request(`GET /admin HTTP/1.1\r\nHost: a\r\n${header}`)).map(([p, rule]) => [p, rule])).toEqual([[path, "auth.loopback-claim"]]);
  });

  test("the same claim over a loopback connection (local proxies), with no known peer, or of a public client, is nothing", () => {
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1", "127.0.0.1"))).toEqual([]);
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1", "::1"))).toEqual([]);
    // A peer on the server's own networks: a proxy in front of nginx (a container bridge), a Unix socket.
    for (const peer of ["", "172.17.0.1", "10.0.0.3", "fd00::5", "unix:", "-"]) {
      expect([peer, authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1", peer))]).toEqual([peer, []]);
    }
    // Only a loopback address or localhost is the server itself: a name that resolves there is none.
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: host.docker.internal\r\nX-Real-IP: 127.1"))).toEqual([]);
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nForwarded: for=198.51.100.4, for=127.0.0.1"))).toEqual([]);
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.4, 127.0.0.1"))).toEqual([]);
    expect(authFindings(request("GET /admin HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.7\r\nUser-Agent: localhost"))).toEqual([]);
  });

  test("only the header's own leaf counts, and hostile values are no address and cost no throw", () => {
    const req = request(`GET / HTTP/1.1\r\nHost: a\r\nX-Original-URL: ${"/%".repeat(50_000)}\r\nX-Forwarded-For: ${"[".repeat(10_000)}\r\nX-Real-IP: ${"1:".repeat(100_000)}\r\nX-Client-IP: 127.0.0.1`, "1:".repeat(100_000));
    const { leaves } = decompose(req);
    expect(accessOverrides(req, leaves).map(({ at }) => leaves[at]!.path)).toEqual(["header.x-original-url"]);
  });
});

describe("auth-bypass analyzer: a comment inside SAML's NameID", () => {
  const saml = (nameId: string) => `<samlp:Response><saml:Assertion><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${nameId}</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`;
  const at = (text: string) => authBypassAnalyzer.analyze({ text, location: "body", path: "body.SAMLResponse~base64", name: "SAMLResponse", kind: "value" });
  test("splits the identity a library reads from the one the signature covers", () => {
    expect(at(saml("admin@corp.example<!---->.evil.example")).map((f) => [f.rule, f.strength])).toEqual([["auth.saml-nameid-comment", 0.85]]);
    // A comment elsewhere in the document, and a plain NameID, are none.
    expect(at(saml("user@corp.example") + "<!-- signed by idp -->")).toEqual([]);
    expect(at(saml("admin@corp.example"))).toEqual([]);
  });
});

describe("auth-bypass analyzer: a framework's internal header from a client", () => {
  test("Next.js's middleware recursion guard skips the middleware's checks", () => {
    const header = (name: string, text: string, path = `header.${name}`) => authBypassAnalyzer.analyze({ text, location: "header", path, name, kind: "value" }).map((f) => [f.rule, f.strength]);
    for (const v of ["middleware:middleware:middleware:middleware:middleware", "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware", "pages/_middleware"]) expect([v, header("x-middleware-subrequest", v)]).toEqual([v, [["auth.internal-header", 0.85]]]);
    // The framework's own fetches (a route, the middleware once), another header, a reading of this one.
    for (const v of ["/api/edge", "middleware"]) expect([v, header("x-middleware-subrequest", v)]).toEqual([v, []]);
    expect(header("x-request-id", "middleware")).toEqual([]);
    expect(header("x-middleware-subrequest", "x", "header.x-middleware-subrequest~base64")).toEqual([]);
  });
});
