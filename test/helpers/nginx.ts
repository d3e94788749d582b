/**
 * Starts a real nginx (Debian's package) on loopback with a config the test gives, in a private
 * prefix directory, and sends it raw bytes over TCP so that nothing normalises the request first.
 */
import { existsSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

export const NGINX_BIN = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => existsSync(p)) ?? null;

export interface NginxInstance {
  port: number;
  prefix: string;
  /** Path of a file inside the prefix. */
  path(name: string): string;
  reload(): Promise<void>;
  /** Asks nginx to reopen its logs (what logrotate's postrotate does). */
  reopen(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Ports this process has handed out. The kernel may give a port it just released again: two servers
 * handed one port before either binds it (an nginx's own listen and its upstream's) would share it, and
 * requests meant for one would reach the other.
 */
const handedOut = new Set<number>();

/** A port free now and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * `http` is the body of the http {} block; `{{PORT}}` and `{{PREFIX}}` are replaced.
 * `main` is extra main-context config (e.g. load_module lines).
 */
export async function startNginx(http: string, options: { main?: string } = {}): Promise<NginxInstance> {
  if (!NGINX_BIN) throw new Error("nginx is not installed (Debian package nginx; .ci/dev-setup installs it)");
  const prefix = tempDir("moat-nginx-");
  for (const d of ["logs", "tmp", "html"]) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  const fill = (s: string) => s.replaceAll("{{PORT}}", String(port)).replaceAll("{{PREFIX}}", prefix);
  const conf = `
${fill(options.main ?? "")}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  ${fill(http)}
}
`;
  const confPath = join(prefix, "nginx.conf");
  writeFileSync(confPath, conf);
  const bin = NGINX_BIN;
  const test = Bun.spawnSync([bin, "-t", "-p", prefix, "-c", confPath], { stderr: "pipe" });
  if (!test.success) throw new Error(`nginx -t failed:\n${test.stderr.toString()}`);
  const proc = Bun.spawn([bin, "-p", prefix, "-c", confPath, "-g", "daemon off;"], { stderr: "pipe", stdout: "ignore" });
  await waitForPort(port);
  const signal = (sig: string) => {
    const r = Bun.spawnSync([bin, "-p", prefix, "-c", confPath, "-s", sig], { stderr: "pipe" });
    if (!r.success) throw new Error(`nginx -s ${sig} failed: ${r.stderr.toString()}`);
  };
  return {
    port,
    prefix,
    path: (name) => join(prefix, name),
    async reload() {
      signal("reload");
      await Bun.sleep(300);
    },
    async reopen() {
      signal("reopen");
      await Bun.sleep(200);
    },
    async stop() {
      proc.kill("SIGQUIT");
      await proc.exited;
    },
  };
}

async function waitForPort(port: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`nginx did not listen on ${port}`);
}

/** Sends raw request bytes and returns the raw response (the connection is closed by `Connection: close`). */
export function sendRaw(port: number, request: Uint8Array | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => s.write(typeof request === "string" ? Buffer.from(request, "latin1") : request));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.on("error", reject);
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error("timeout")); });
  });
}

export function readLog(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

/** nginx writes the log line after the response: wait until `path` has at least `n` lines. */
export async function waitForLines(path: string, n: number, deadlineMs = 10_000): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const lines = existsSync(path) ? readLog(path) : [];
    if (lines.length >= n || Date.now() > until) return lines;
    await Bun.sleep(20);
  }
}

export const DEPLOY_NGINX_DIR = join(import.meta.dir, "..", "..", "assets", "deploy", "nginx");

/**
 * One of the documented nginx configs (assets/deploy/nginx/<name>) with its example values replaced,
 * so that tests and benchmarks run the very file users copy. Every key of `replace` must occur in the
 * file: when the example changes, the caller fails loudly instead of testing something else.
 */
export function deployConfig(name: string, replace: Record<string, string>): string {
  let text = readFileSync(join(DEPLOY_NGINX_DIR, name), "utf8");
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`${name} no longer contains ${JSON.stringify(from)}: update the caller`);
    text = text.replaceAll(from, to);
  }
  return text;
}

export interface AuthRequestNginxOptions {
  /** Where `moat serve` listens. */
  moatPort: number;
  /** Sent to Moat as X-API-Key (default: none). */
  apiKey?: string;
  failMode?: "open" | "closed";
  /** false: the same server without its `auth_request` line — nginx alone, for comparison. */
  judge?: boolean;
  /** Log `$status $request_uri $moat_verdict $moat_score $moat_attack_type` to logs/verdicts.log (default: no access log). */
  verdictLog?: boolean;
}

/**
 * assets/deploy/nginx/auth-request.conf as documented, in front of a tiny upstream (a second server
 * of the same nginx answering `200 app ok`), asking the Moat on `moatPort`.
 */
export async function startAuthRequestNginx(options: AuthRequestNginxOptions): Promise<NginxInstance> {
  const appPort = await freePort();
  const site = deployConfig("auth-request.conf", {
    "server 127.0.0.1:8080;": `server 127.0.0.1:${options.moatPort};`,
    "listen 80;": "listen 127.0.0.1:{{PORT}};",
    "proxy_pass http://127.0.0.1:3000;": `proxy_pass http://127.0.0.1:${appPort};`,
    ...(options.apiKey ? { 'proxy_set_header X-API-Key "";': `proxy_set_header X-API-Key "${options.apiKey}";` } : {}),
    ...(options.failMode === "closed" ? { "= @moat_fail_open;": "= @moat_fail_closed;" } : {}),
    ...(options.judge === false ? { "auth_request /_moat;": "auth_request off;" } : {}),
  });
  const log = options.verdictLog
    ? "log_format verdicts '$status $request_uri $moat_verdict $moat_score $moat_attack_type';\n  access_log {{PREFIX}}/logs/verdicts.log verdicts;"
    : "access_log off;";
  const app = `server {\n    listen 127.0.0.1:${appPort};\n    access_log off;\n    location / { return 200 "app ok\\n"; }\n  }`;
  return startNginx(`${log}\n${site}\n  ${app}`);
}

/** The log_format that assets/deploy/nginx/mirror.conf declares: what Moat is told to follow (ingest.log_format). */
export function mirrorLogFormat(): string {
  const line = /^log_format moat_mirror '([^']+)';$/m.exec(readFileSync(join(DEPLOY_NGINX_DIR, "mirror.conf"), "utf8"));
  if (!line) throw new Error("mirror.conf no longer declares log_format moat_mirror: update the caller");
  return line[1]!;
}

/**
 * nginx running assets/deploy/nginx/mirror.conf as documented, in front of a tiny upstream (another
 * server of the same nginx), copying every request to Moat's mirror listener at `mirrorPort` (unless `mirror` is false);
 * its access log is `<prefix>/logs/access.log`.
 */
export async function startMirrorNginx(mirrorPort: number, options: { mirror?: boolean } = {}): Promise<NginxInstance & { accessLog: string }> {
  const appPort = await freePort();
  const site = deployConfig("mirror.conf", {
    "server 127.0.0.1:8081;": `server 127.0.0.1:${mirrorPort};`,
    "listen 80;": "listen 127.0.0.1:{{PORT}};",
    "proxy_pass http://127.0.0.1:3000;": `proxy_pass http://127.0.0.1:${appPort};`,
    "/var/log/nginx/moat-mirror.access.log": "{{PREFIX}}/logs/access.log",
    // nginx alone, for comparison: the same server without the copy.
    ...(options.mirror === false ? { "mirror /_moat_mirror;": "mirror off;" } : {}),
  });
  const app = `server {\n    listen 127.0.0.1:${appPort};\n    access_log off;\n    location / { return 200 "app ok\\n"; }\n  }`;
  const nginx = await startNginx(`${site}\n  ${app}`);
  return { ...nginx, accessLog: nginx.path("logs/access.log") };
}

/**
 * A site that includes a deny file, and takes each client's address from X-Forwarded-For (nginx sees
 * 127.0.0.1 for every local client: realip lets each test client present its own).
 */
export function denyingSite(denyFile: string): string {
  return `
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    server {
      listen 127.0.0.1:{{PORT}};
      access_log {{PREFIX}}/logs/access.log combined;
      include ${denyFile};
      # A content handler, not "return 200": return answers in the rewrite phase, before deny is checked.
      location / { empty_gif; }
    }`;
}

/** The status nginx on `port` answers a client at `ip` (X-Forwarded-For, for denyingSite). */
export async function statusFor(port: number, ip: string, target = "/"): Promise<number> {
  const response = await sendRaw(port, `GET ${target} HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: ${ip}\r\nUser-Agent: Mozilla/5.0\r\nConnection: close\r\n\r\n`);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}
