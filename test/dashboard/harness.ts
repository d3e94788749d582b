/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against `moat serve`
 * following the access log of a real nginx. Watches every page for what must never happen: console
 * errors, script errors, dialogs, Content-Security-Policy violations and injected elements.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ROOT, runCli } from "../helpers/cli.ts";
import { NGINX_BIN, sendRaw, startNginx, type NginxInstance } from "../helpers/nginx.ts";
import { startServe, waitFor, waitForListening, type ServeProcess } from "../helpers/serve.ts";
import { dbCounts } from "../helpers/db.ts";
import { tempDir } from "../helpers/tmp.ts";
import { writeGeoFixtures } from "../helpers/mmdb.ts";

/** Debian's chromium, or the browser MOAT_CHROMIUM names. */
export const CHROMIUM = [process.env.MOAT_CHROMIUM ?? "/usr/bin/chromium"].find((p) => existsSync(p)) ?? null;

/** Why the browser suites cannot run here, or null. */
export const SKIP_REASON = !CHROMIUM ? `chromium is not installed (Debian package chromium at /usr/bin/chromium, or set MOAT_CHROMIUM)` : !NGINX_BIN ? "nginx is not installed (Debian package nginx)" : null;

export const SCREENSHOTS = join(ROOT, "test", "artifacts", "screenshots");
const COMMITTED_SCREENSHOTS = join(ROOT, "assets", "screenshots");

async function launchBrowser(): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(tempDir("moat-chromium-"), {
    executablePath: CHROMIUM!,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 1366, height: 900 },
    colorScheme: "dark",
  });
  dropFramesOfGoneSockets(context);
  return context;
}

type Message = { guid?: string };

/**
 * playwright-core 1.65's client throws `Cannot find object to "frameReceived": ws@…` when an event of
 * a page's WebSocket arrives after the client has dropped that socket (seen once during a reload,
 * with the dashboard's live socket busy): an uncaught error that fails whichever test is running,
 * and bun test ignores process-level handlers. Only those events are dropped here, at the client
 * connection's entry; every other error still throws.
 */
function dropFramesOfGoneSockets(context: BrowserContext): void {
  const connection = (context as unknown as { _connection: { dispatch(message: Message): void } })._connection;
  const dispatch = connection.dispatch.bind(connection);
  connection.dispatch = (message) => {
    try {
      dispatch(message);
    } catch (e) {
      if (message.guid?.startsWith("ws@") && (e as Error).message.startsWith("Cannot find object to ")) return;
      throw e;
    }
  };
}

/**
 * Runs in every document before the page's own scripts (through the DevTools protocol, so the page's
 * CSP does not apply to it). Reports CSP violations and every element or attribute that could run
 * script or load something: the dashboard itself creates none of them beyond its own bundle.
 */
const WATCH_SCRIPT = `(() => {
  const report = (what) => window.__moatReport(what);
  document.addEventListener("securitypolicyviolation", (e) => report("csp: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " " + (e.sample || "")));
  const FORBIDDEN = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "img", "image", "video", "audio", "source", "track", "picture", "svg", "math", "base", "style", "template", "portal", "marquee", "xmp", "plaintext", "noembed", "isindex"]);
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc", "background", "ping"]);
  const OWN_SCRIPT = /^(\\.|)\\/chunk-[a-z0-9]+\\.js$/;
  const OWN_LINK = /^(\\.|)\\/(chunk|favicon)-[a-z0-9]+\\.(css|svg)$/;
  const checkAttr = (el, name, value) => {
    const n = name.toLowerCase();
    if (n.startsWith("on")) report("injected: <" + el.localName + "> attribute " + n);
    else if (URL_ATTRS.has(n) && /^\\s*(javascript|vbscript|data)\\s*:/i.test(value || "")) report("injected: <" + el.localName + "> " + n + "=" + String(value).slice(0, 80));
  };
  const checkElement = (el) => {
    const tag = el.localName;
    if (FORBIDDEN.has(tag)) report("injected: <" + tag + ">");
    if (tag === "script" && !OWN_SCRIPT.test(el.getAttribute("src") || "")) report("injected: <script> " + (el.getAttribute("src") || el.textContent.slice(0, 80)));
    if (tag === "link" && !OWN_LINK.test(el.getAttribute("href") || "")) report("injected: <link> " + el.getAttribute("href"));
    if (tag === "meta" && el.hasAttribute("http-equiv")) report("injected: <meta http-equiv>");
    for (const a of el.attributes) checkAttr(el, a.name, a.value);
  };
  const walk = (node) => {
    if (node.nodeType !== 1) return;
    checkElement(node);
    for (const child of node.querySelectorAll("*")) checkElement(child);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") checkAttr(r.target, r.attributeName, r.target.getAttribute(r.attributeName));
      else for (const n of r.addedNodes) walk(n);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})();`;

export interface Problems {
  console: string[];
  pageErrors: string[];
  dialogs: string[];
  /** CSP violations and injected elements, from WATCH_SCRIPT. */
  reports: string[];
}

/** What a test may do about problems: `take()` returns what was seen since the last call; `confirmNext()` accepts the next confirm() the page asks. */
interface ProblemWatch {
  take: () => Problems;
  confirmNext: () => void;
}

/** Starts watching every page of the context. A dialog is a problem and is dismissed, unless the test expects it (confirmNext). */
async function watchProblems(context: BrowserContext): Promise<ProblemWatch> {
  let seen: Problems = { console: [], pageErrors: [], dialogs: [], reports: [] };
  let expectConfirm = false;
  await context.exposeBinding("__moatReport", (_source, what: string) => {
    seen.reports.push(what);
  });
  await context.addInitScript({ content: WATCH_SCRIPT });
  const attach = (page: Page) => {
    page.on("console", (m) => {
      if (m.type() === "error") seen.console.push(m.text());
    });
    page.on("pageerror", (e) => seen.pageErrors.push(e.message));
    page.on("dialog", (d) => {
      if (expectConfirm && d.type() === "confirm") {
        expectConfirm = false;
        void d.accept();
        return;
      }
      seen.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
  };
  context.pages().forEach(attach);
  context.on("page", attach);
  return {
    take() {
      const out = seen;
      seen = { console: [], pageErrors: [], dialogs: [], reports: [] };
      return out;
    },
    confirmNext() {
      expectConfirm = true;
    },
  };
}

export interface Browser {
  context: BrowserContext;
  /** The context's first page, which the tests drive. */
  page: Page;
  problems: ProblemWatch;
}

/** chromium, watched for problems from its first document on. */
export async function openBrowser(): Promise<Browser> {
  const context = await launchBrowser();
  const problems = await watchProblems(context);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.MOAT_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(COMMITTED_SCREENSHOTS, { recursive: true });
    copyFileSync(file, join(COMMITTED_SCREENSHOTS, `${name}.png`));
  }
}

export interface SendOptions {
  /** The client address nginx logs (it trusts X-Forwarded-For from loopback). */
  ip?: string;
  ua?: string;
  method?: string;
  body?: string;
}

export interface Stack {
  nginx: NginxInstance;
  moat: ServeProcess;
  /** Where moat serve answers, e.g. http://127.0.0.1:40123 */
  base: string;
  db: string;
  /** An API key (the API requires one when `requireKey`). */
  key: string;
  send(target: string, options?: SendOptions): Promise<void>;
  /** Waits until every request sent so far is stored. */
  settle(): Promise<void>;
  /** A JSON API call with the key; answers `data`. */
  api<T>(path: string, init?: RequestInit): Promise<T>;
  stop(): Promise<void>;
}

const NGINX_SITE = `server {
  listen 127.0.0.1:{{PORT}};
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Forwarded-For;
  access_log {{PREFIX}}/logs/access.log combined;
  location / { return 200 "ok\\n"; }
  location /admin { return 403; }
  location /missing { return 404; }
  location /boom { return 502; }
}`;

export async function startStack(options: { requireKey: boolean }): Promise<Stack> {
  const nginx = await startNginx(NGINX_SITE);
  const dir = tempDir("moat-e2e-");
  const db = join(dir, "moat.db");
  const created = runCli(["apikey", "create", "e2e", "--db", db, "-c", "/dev/null"]);
  if (created.code !== 0) throw new Error(`moat apikey create failed: ${created.stderr}`);
  const key = created.stdout.trim();
  const geo = writeGeoFixtures(dir); // country and AS for the documentation addresses the tests send from
  const moat = startServe(["--log", nginx.path("logs/access.log"), "--db", db], {
    MOAT_STORAGE_DATA_DIR: dir,
    MOAT_SECURITY_NGINX_CONF: join(nginx.prefix, "nginx.conf"),
    MOAT_SERVER_REQUIRE_API_KEY: options.requireKey ? "always" : "auto",
    // Passive blocking on (for the Bans page); the file is Moat's own, and no nginx includes it.
    MOAT_BAN_ENABLED: "true",
    MOAT_BAN_TEST_COMMAND: "",
    MOAT_GEO_COUNTRY_DB: geo.country,
    MOAT_GEO_ASN_DB: geo.asn,
  });
  const base = await waitForListening(moat);
  let sent = 0;
  return {
    nginx,
    moat,
    base,
    db,
    key,
    async send(target, o = {}) {
      const head = [`${o.method ?? "GET"} ${target} HTTP/1.1`, "Host: shop.test", `User-Agent: ${o.ua ?? "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}`, `X-Forwarded-For: ${o.ip ?? "203.0.113.10"}`, "Connection: close"];
      if (o.body !== undefined) head.push("Content-Type: application/x-www-form-urlencoded", `Content-Length: ${Buffer.byteLength(o.body)}`);
      await sendRaw(nginx.port, new Uint8Array(Buffer.from(`${head.join("\r\n")}\r\n\r\n${o.body ?? ""}`, "utf8")));
      sent++;
    },
    settle: () => waitFor(`${sent} stored requests`, () => dbCounts(db).requests >= sent, 120_000),
    async api<T>(path: string, init: RequestInit = {}) {
      const res = await fetch(`${base}${path}`, { ...init, headers: { "x-api-key": key, "content-type": "application/json", ...(init.headers ?? {}) } });
      const body = (await res.json()) as { success: boolean; data: T; message?: string };
      if (!res.ok || !body.success) throw new Error(`${path}: HTTP ${res.status} ${body.message ?? ""}`);
      return body.data;
    },
    async stop() {
      moat.proc.kill("SIGTERM");
      await moat.proc.exited;
      await nginx.stop();
    },
  };
}
