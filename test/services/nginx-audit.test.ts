/**
 * The nginx configuration parser and audit, on small fixture configurations written to a temp dir.
 * The good and bad fixtures are also run through the real `nginx -t`, so the parser is held to what
 * nginx itself accepts (skipped when nginx or openssl, needed for the test certificate, is missing).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NginxConfigError, parseNginxConfig, type Directive } from "../../src/services/security/nginx-config.ts";
import { auditNginxConfig, weakCiphers, type AuditResult } from "../../src/services/security/nginx-audit.ts";
import { NGINX_BIN } from "../helpers/nginx.ts";
import { tempDir } from "../helpers/tmp.ts";

const OPENSSL_BIN = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((path) => existsSync(path)) ?? null;
const certDir = tempDir("moat-nginx-cert-");
const CERT = join(certDir, "cert.pem");
const KEY = join(certDir, "key.pem");

beforeAll(() => {
  if (!OPENSSL_BIN) return;
  const made = Bun.spawnSync(
    [OPENSSL_BIN, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=moat.test"],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (!made.success) throw new Error(`openssl failed: ${made.stderr.toString()}`);
});

/** Main-context lines and http-level temp paths that let `nginx -t -p <dir>` run without touching /var. */
const MAIN = `worker_processes 1;
pid nginx.pid;
error_log error.log;
events { worker_connections 64; }
`;
const HTTP_PATHS = `  access_log off;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
`;
const TLS = `ssl_certificate ${CERT};\n    ssl_certificate_key ${KEY};`;

/** Writes `files` (path → text) under a fresh directory; returns the directory. */
function writeFixture(files: Record<string, string>): string {
  const dir = tempDir("moat-nginx-conf-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, "tmp"), { recursive: true });
  return dir;
}

/** 1-based line of the first line containing `needle`, to assert locations without counting by hand. */
function lineOf(file: string, needle: string): number {
  const index = readFileSync(file, "utf8").split("\n").findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`${needle} not in ${file}`);
  return index + 1;
}

const at = (file: string, needle: string) => ({ file, line: lineOf(file, needle) });
const pos = (file: string, needle: string) => `${file}:${lineOf(file, needle)}`;

/** `nginx -t` on the fixture, or null when it cannot run here. */
function nginxTest(dir: string, conf = "nginx.conf"): { ok: boolean; output: string } | null {
  if (!NGINX_BIN || !OPENSSL_BIN) return null;
  const run = Bun.spawnSync([NGINX_BIN, "-t", "-p", dir, "-c", join(dir, conf)], { stdout: "pipe", stderr: "pipe" });
  return { ok: run.success, output: run.stderr.toString() };
}

function expectNginxAccepts(dir: string): void {
  const result = nginxTest(dir);
  if (result) expect(result.output).toContain("test is successful");
}

function expectNginxRejects(dir: string, conf: string): void {
  const result = nginxTest(dir, conf);
  if (result) expect(result.ok).toBe(false);
}

function byId(results: AuditResult[]): Record<string, AuditResult> {
  return Object.fromEntries(results.map((result) => [result.id, result]));
}

async function parseError(path: string): Promise<NginxConfigError> {
  const error = await parseNginxConfig(path).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof NginxConfigError)) throw new Error(`expected an NginxConfigError, got ${String(error)}`);
  return error;
}

const SECURITY_HEADERS = `add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header Strict-Transport-Security "max-age=31536000" always;`;

const GOOD = {
  "nginx.conf": `${MAIN}
http {
${HTTP_PATHS}
  server_tokens off;
  client_max_body_size 10m;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5";
  ${SECURITY_HEADERS}
  include sites-enabled/*;
}
`,
  "sites-enabled/10-redirect.conf": `server {
  listen 8080;
  server_name good.test;
  return 301 https://$host$request_uri;
}
`,
  // sites-enabled/20-site.conf is a symlink to this one, as Debian's layout has it.
  "sites-available/site.conf": `server {
  listen 8443 ssl;
  server_name good.test;
  ${TLS}
  root html;
  location / { try_files $uri $uri/ =404; }
  location /static/ { alias /srv/static/; }
  location /api/ {
    # Re-declares everything from the http level before adding its own header, so nothing is lost.
    ${SECURITY_HEADERS}
    add_header Cache-Control no-store;
  }
}
`,
};

const BAD = {
  "nginx.conf": `${MAIN}
http {
${HTTP_PATHS}
  server_tokens on;
  client_max_body_size 0;
  ssl_protocols TLSv1 TLSv1.2;
  ssl_ciphers "HIGH:RC4-SHA:!MD5";
  add_header X-Frame-Options SAMEORIGIN;
  add_header X-Content-Type-Options nosniff;
  include conf.d/*.conf;
}
`,
  "conf.d/app.conf": `server {
  listen 8443 ssl;
  server_name app.test;
  ${TLS}
  location / { proxy_pass http://127.0.0.1:3000; }
  location /files {
    alias /srv/files/;
  }
  location /img/ {
    alias /srv/img;
  }
  location /api/ {
    add_header Cache-Control no-store;
    proxy_pass http://127.0.0.1:3000;
  }
}
`,
  "conf.d/ignored.txt": "this is not matched by *.conf { \n",
};

describe("nginx config parser", () => {
  test("words, quotes, escapes, comments, ${var} and lines are read as nginx reads them", async () => {
    const dir = writeFixture({
      "nginx.conf": `${MAIN}
http {
${HTTP_PATHS}
  # a comment with { ; } in it
  log_format main '$remote_addr "$request"' "tab\\there \\"quoted\\" back\\\\slash"; # trailing comment
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 8080;
    server_name a#b;
    location ~ \\.php$ { return 200 "first
second"; }
    location /v { set $v "\${host}x"; return 200 $v; }
  }
}
`,
    });
    expectNginxAccepts(dir);
    const config = await parseNginxConfig(join(dir, "nginx.conf"));
    const http = config.directives.find((d) => d.name === "http")!;
    const find = (name: string, list: Directive[] = http.children!) => list.find((d) => d.name === name)!;
    expect(find("log_format").args).toEqual(["main", '$remote_addr "$request"', 'tab\there "quoted" back\\slash']);
    expect(find("map").children!.map((d) => [d.name, ...d.args])).toEqual([["default", "upgrade"], ["", "close"]]);
    const server = find("server");
    expect(find("server_name", server.children).args).toEqual(["a#b"]);
    const [php, v] = server.children!.filter((d) => d.name === "location");
    expect(php!.args).toEqual(["~", "\\.php$"]);
    expect(php!.children![0]!.args).toEqual(["200", "first\nsecond"]);
    expect(v!.children!.map((d) => d.args)).toEqual([["$v", "${host}x"], ["200", "$v"]]);
    // The line after a string spanning two lines is still counted right.
    expect(v!.line).toBe(lineOf(config.file, "location /v"));
  });

  test("includes: globs sorted, symlinks followed, relative to the main file's directory, each directive keeps its file and line", async () => {
    const dir = writeFixture({
      "nginx.conf": `${MAIN}http {\n  include conf.d/*.conf;\n  include nothing-here/*.conf;\n}\n`,
      "conf.d/b.conf": "server { server_name b; include snippets/headers.conf; }\n",
      "conf.d/a.conf": "server {\n  server_name a;\n}\n",
      "snippets/headers.conf": "\n\nadd_header X-Test 1;\n",
      "elsewhere/c.conf": "server { server_name c; }\n",
    });
    symlinkSync(join(dir, "elsewhere/c.conf"), join(dir, "conf.d/c.conf"));
    const config = await parseNginxConfig(join(dir, "nginx.conf"));
    expect(config.files).toEqual(["nginx.conf", "conf.d/a.conf", "conf.d/b.conf", "snippets/headers.conf", "conf.d/c.conf"].map((f) => join(dir, f)));
    const servers = config.directives.find((d) => d.name === "http")!.children!;
    expect(servers.map((s) => s.children![0]!.args[0])).toEqual(["a", "b", "c"]);
    expect(servers.map((s) => [s.file, s.line])).toEqual([[join(dir, "conf.d/a.conf"), 1], [join(dir, "conf.d/b.conf"), 1], [join(dir, "conf.d/c.conf"), 1]]);
    // Included from conf.d/b.conf, yet resolved against the main file's directory.
    expect(servers[1]!.children![1]).toEqual({ name: "add_header", args: ["X-Test", "1"], file: join(dir, "snippets/headers.conf"), line: 3 });
  });

  test("unbalanced braces are errors naming the file and line, as nginx rejects them", async () => {
    const dir = writeFixture({
      "open.conf": `${MAIN}http {\n  server {\n    listen 8080;\n}\n`,
      "extra.conf": `${MAIN}http {\n}\n}\n`,
      "unterminated.conf": `${MAIN}http {\n  server_tokens off\n}\n`,
    });
    const open = await parseError(join(dir, "open.conf"));
    expect(open.message).toBe(`${join(dir, "open.conf")}:${lineOf(join(dir, "open.conf"), "http {")}: "http" block is never closed (missing "}")`);
    const extra = await parseError(join(dir, "extra.conf"));
    expect([extra.file, extra.line, extra.message]).toEqual([join(dir, "extra.conf"), 7, `${join(dir, "extra.conf")}:7: unexpected "}"`]);
    expect((await parseError(join(dir, "unterminated.conf"))).message).toContain(`unterminated.conf:7: unexpected "}"`);
    for (const conf of ["open.conf", "extra.conf", "unterminated.conf"]) expectNginxRejects(dir, conf);
  });

  test("a missing file: the main one, or a plain include naming the include's file and line", async () => {
    const dir = writeFixture({ "nginx.conf": `${MAIN}http {\n  include conf.d/missing.conf;\n}\n` });
    const missing = await parseError(join(dir, "absent.conf"));
    expect(missing.message).toBe(`${join(dir, "absent.conf")}: cannot read (no such file)`);
    const include = await parseError(join(dir, "nginx.conf"));
    expect(include.message).toBe(`${join(dir, "nginx.conf")}:6: include conf.d/missing.conf: ${join(dir, "conf.d/missing.conf")}: cannot read (no such file)`);
    expectNginxRejects(dir, "nginx.conf");
  });

  test("include loops and runaway include chains end in an error, not a hang", async () => {
    const chain = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`chain/${i}.conf`, `include chain/${i + 1}.conf;\n`]));
    const dir = writeFixture({
      "nginx.conf": "include loop/a.conf;\n",
      "loop/a.conf": "worker_processes 1;\ninclude loop/b.conf;\n",
      "loop/b.conf": "include loop/*.conf;\n",
      "self.conf": "include self.conf;\n",
      "deep.conf": "include chain/0.conf;\n",
      ...chain,
    });
    const loop = await parseError(join(dir, "nginx.conf"));
    expect(loop.message).toContain(`${join(dir, "loop/b.conf")}:1: include loop/*.conf: ${join(dir, "loop/a.conf")}: include loop: `);
    // The chain is of real paths: a symlink cannot hide a loop.
    const real = (f: string) => join(realpathSync(dir), f);
    expect(loop.message).toEndWith(`${real("nginx.conf")} -> ${real("loop/a.conf")} -> ${real("loop/b.conf")} -> ${real("loop/a.conf")}`);
    expect((await parseError(join(dir, "self.conf"))).message).toContain("include loop");
    const deep = await parseError(join(dir, "deep.conf"));
    expect(deep.message).toContain("includes nested deeper than 32 files");
  });
});

describe("nginx audit", () => {
  test("a hardened configuration passes every check, and nginx accepts it", async () => {
    const dir = writeFixture(GOOD);
    symlinkSync(join(dir, "sites-available/site.conf"), join(dir, "sites-enabled/20-site.conf"));
    expectNginxAccepts(dir);
    const results = auditNginxConfig(await parseNginxConfig(join(dir, "nginx.conf")));
    expect(results.map((r) => r.id)).toEqual(["server-tokens", "tls-protocols", "tls-ciphers", "security-headers", "add-header-inheritance", "alias-traversal", "client-max-body-size"]);
    for (const result of results) {
      expect({ id: result.id, status: result.status }).toEqual({ id: result.id, status: "pass" });
      expect(result.locations).toBeUndefined();
      expect(result.message.length).toBeGreaterThan(10);
    }
    expect(byId(results)["client-max-body-size"]!.message).toContain("10m");
  });

  test("a careless configuration fails or warns on each check, naming file:line, and nginx accepts it", async () => {
    const dir = writeFixture(BAD);
    expectNginxAccepts(dir);
    const main = join(dir, "nginx.conf");
    const app = join(dir, "conf.d/app.conf");
    const results = byId(auditNginxConfig(await parseNginxConfig(main)));

    const tokens = results["server-tokens"]!;
    expect(tokens.status).toBe("warning");
    expect(tokens.locations).toEqual([at(main, "http {"), at(main, "server_tokens on")]);

    const protocols = results["tls-protocols"]!;
    expect(protocols.status).toBe("fail");
    expect(protocols.message).toBe(`ssl_protocols at ${main}:${lineOf(main, "ssl_protocols")} enables TLSv1`);
    expect(protocols.locations).toEqual([at(main, "ssl_protocols")]);

    const ciphers = results["tls-ciphers"]!;
    expect(ciphers.status).toBe("fail");
    expect(ciphers.message).toContain("enables weak suites: HIGH (aNULL not excluded), RC4-SHA");
    expect(ciphers.locations).toEqual([at(main, "ssl_ciphers")]);

    const headers = results["security-headers"]!;
    expect(headers.status).toBe("warning");
    expect(headers.message).toContain("server app.test");
    expect(headers.message).toContain(
      `Content-Security-Policy, Referrer-Policy, Strict-Transport-Security missing in location / (${pos(app, "location / {")}), location /files (${pos(app, "location /files")}), location /img/ (${pos(app, "location /img/")})`,
    );
    expect(headers.message).toContain(
      `X-Content-Type-Options, X-Frame-Options (or CSP frame-ancestors), Content-Security-Policy, Referrer-Policy, Strict-Transport-Security missing in location /api/ (${pos(app, "location /api/")})`,
    );
    expect(headers.locations).toEqual(["location / {", "location /files", "location /img/", "location /api/"].map((needle) => at(app, needle)));

    const inheritance = results["add-header-inheritance"]!;
    expect(inheritance.status).toBe("warning");
    expect(inheritance.message).toBe(
      `location /api/ (${pos(app, "location /api/")}) has its own add_header (${pos(app, "Cache-Control")}), so X-Frame-Options, X-Content-Type-Options from the enclosing level (${pos(main, "X-Frame-Options")}, ${pos(main, "X-Content-Type-Options")}) are not sent there`,
    );
    expect(inheritance.locations).toEqual([at(app, "Cache-Control")]);

    const alias = results["alias-traversal"]!;
    expect(alias.status).toBe("fail");
    expect(alias.message).toContain("/files../ maps to /srv/files/../");
    expect(alias.details).toContain("warning: location /img/");
    expect(alias.locations).toEqual([at(app, "location /files"), at(app, "alias /srv/files/"), at(app, "location /img/"), at(app, "alias /srv/img;")]);

    const body = results["client-max-body-size"]!;
    expect(body.status).toBe("warning");
    expect(body.locations).toEqual([at(main, "client_max_body_size 0")]);
  });

  test("defaults left implicit: no server_tokens, no ssl_protocols on a TLS server, no client_max_body_size", async () => {
    const dir = writeFixture({
      "nginx.conf": `events {}\nhttp {\n  include servers/*.conf;\n}\nstream {\n  server { listen 9443 ssl; proxy_pass 127.0.0.1:9000; }\n}\n`,
      "servers/tls.conf": "server {\n  listen 443 http2 ssl;\n  server_name tls.test;\n}\n",
    });
    const main = join(dir, "nginx.conf");
    const results = byId(auditNginxConfig(await parseNginxConfig(main)));
    expect(results["server-tokens"]).toMatchObject({ status: "warning", locations: [{ file: main, line: 2 }] });
    const protocols = results["tls-protocols"]!;
    expect(protocols.status).toBe("warning");
    expect(protocols.message).toContain("TLS server tls.test");
    expect(protocols.locations).toEqual([{ file: join(dir, "servers/tls.conf"), line: 1 }, { file: main, line: 6 }]);
    expect(results["tls-ciphers"]!.status).toBe("pass");
    expect(results["client-max-body-size"]).toMatchObject({ status: "warning", message: expect.stringContaining("not set"), locations: [{ file: main, line: 2 }] });
  });

  test("add_header_inherit merge keeps the enclosing headers, off drops them on purpose; glued location modifiers", async () => {
    const dir = writeFixture({
      "nginx.conf": `events {}
http {
  add_header X-Frame-Options DENY;
  server {
    server_name inherit.test;
    location /merged/ { add_header_inherit merge; add_header Cache-Control no-store; }
    location /off/ { add_header_inherit off; add_header Cache-Control no-store; }
    location /plain/ {
      add_header Cache-Control no-store;
      location /plain/inner/ { }
      if ($arg_x) { add_header X-If 1; }
    }
    location =/exact { alias /srv/exact/; }
    location ~^/re/(.*)$ { alias /srv/re/$1; }
    location ^~ /pref {
      alias /srv/pref/;
    }
  }
}
`,
    });
    const main = join(dir, "nginx.conf");
    const results = byId(auditNginxConfig(await parseNginxConfig(main)));
    const inheritance = results["add-header-inheritance"]!;
    // /plain/ loses X-Frame-Options; its "if" loses both headers of /plain/ (only Cache-Control is named: the rest was lost already).
    expect(inheritance.locations).toEqual([{ file: main, line: 9 }, { file: main, line: 11 }]);
    expect(inheritance.message).toBe(`location /plain/ (${main}:8) has its own add_header (${main}:9), so X-Frame-Options from the enclosing level (${main}:3) are not sent there (and 1 more)`);
    expect(inheritance.details).toContain(`if ($arg_x) (${main}:11) has its own add_header (${main}:11), so Cache-Control from the enclosing level (${main}:9)`);
    expect(inheritance.details).not.toContain("/merged/");
    expect(inheritance.details).not.toContain("/off/");
    // Exact and regex locations are left alone; "^~ /pref" is a prefix location like any other.
    expect(results["alias-traversal"]!.locations).toEqual([at(main, "location ^~ /pref"), at(main, "alias /srv/pref/")]);
  });

  test("weak cipher strings", () => {
    expect(weakCiphers("HIGH:!aNULL:!MD5")).toEqual([]);
    expect(weakCiphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305")).toEqual([]);
    expect(weakCiphers("DEFAULT:!RC4:-3DES:+AES256")).toEqual([]);
    expect(weakCiphers("ALL:!aNULL")).toEqual(["ALL (3DES not excluded)"]);
    expect(weakCiphers("HIGH")).toEqual(["HIGH (aNULL not excluded)"]);
    expect(weakCiphers("ECDHE-RSA-DES-CBC3-SHA:EXP-RC4-MD5:RSA+3DES:eNULL:aNULL")).toEqual(["ECDHE-RSA-DES-CBC3-SHA", "EXP-RC4-MD5", "RSA+3DES", "eNULL", "aNULL"]);
    expect(weakCiphers("HIGH:!aNULL:@SECLEVEL=0")).toEqual(["@SECLEVEL=0 (allows every weak algorithm)"]);
    expect(weakCiphers("MEDIUM:LOW:EXPORT")).toEqual(["MEDIUM", "LOW", "EXPORT"]);
  });
});
