/**
 * The dashboard (src/dashboard): a React app bundled by Bun and served from memory, with a strict
 * Content-Security-Policy, so that nothing an attacker put in a log line can run in the operator's
 * browser, and nothing is loaded from another origin (it works offline).
 *
 * Two ways to the same bundle:
 * - in the compiled binary, `bun build --compile` bundled the HTML import ahead of time and embedded
 *   the files; `page.files` lists them;
 * - from source, the HTML import is only a path: the page is bundled with `Bun.build` on the first
 *   request (tens of milliseconds), in memory. This also avoids the development server's inline
 *   hot-reload script, which the policy would block.
 *
 * The page and its assets hold no data, so they are served without credentials (the guard exempts
 * exactly `isDashboardRoute`); the app asks the API, which keeps requiring them, and shows a login
 * form when it answers 401.
 */
import { Elysia } from "elysia";
import { basename } from "node:path";
import { gzipSync } from "node:zlib";
import page from "../../dashboard/index.html";

/**
 * `connect-src 'self'` covers the same-origin WebSocket (ws: and wss: match 'self' in CSP Level 3).
 * No 'unsafe-inline' anywhere: React sets styles through the CSSOM, which style-src does not govern.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** The bundle's files are served at the root beside the page, under content-hashed names (`/chunk-1a2b3c4d.js`). */
const ASSET_PATH = /^\/[\w-]+\.(?:js|css|svg|png|woff2?)$/;

/** The page and its assets: the only routes the auth guard lets through without credentials. */
export function isDashboardRoute(method: string, path: string): boolean {
  return method === "GET" && (path === "/" || ASSET_PATH.test(path));
}

interface Asset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  /** Text assets compress 3 to 4 times; kept ready so that a request costs nothing. */
  gzipped: Uint8Array<ArrayBuffer> | null;
}

interface Bundle {
  page: Asset;
  assets: Map<string, Asset>;
}

function asset(type: string, body: Uint8Array<ArrayBuffer>): Asset {
  const text = /^(text\/|application\/javascript|image\/svg)/.test(type);
  return { type, body, gzipped: text ? gzipSync(body) : null };
}

async function bundleFiles(): Promise<{ name: string; type: string; body: Uint8Array<ArrayBuffer> }[]> {
  if (page.files) {
    return Promise.all(page.files.map(async (f) => ({ name: basename(f.path), type: f.headers["content-type"], body: await Bun.file(f.path).bytes() })));
  }
  const result = await Bun.build({
    entrypoints: [page.index],
    target: "browser",
    minify: true,
    // React's production build; `bun run build` passes the same define to the compiled bundle.
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  });
  if (!result.success) throw new Error(`the dashboard does not build: ${result.logs.map(String).join("; ")}`);
  return Promise.all(result.outputs.map(async (o) => ({ name: basename(o.path), type: o.type, body: new Uint8Array(await o.arrayBuffer()) })));
}

async function loadBundle(): Promise<Bundle> {
  const files = await bundleFiles();
  const html = files.find((f) => f.name.endsWith(".html"));
  if (!html) throw new Error("the dashboard bundle has no page");
  const assets = new Map(files.filter((f) => f !== html).map((f) => [`/${f.name}`, asset(f.type, f.body)]));
  return { page: asset(html.type, html.body), assets };
}

function respond(request: Request, a: Asset, headers: Record<string, string>): Response {
  const gzip = a.gzipped !== null && /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  return new Response(gzip ? a.gzipped : a.body, {
    headers: { "content-type": a.type, ...(gzip ? { "content-encoding": "gzip" } : {}), vary: "accept-encoding", ...SECURITY_HEADERS, ...headers },
  });
}

export function uiRoutes() {
  let bundle: Promise<Bundle> | null = null;
  const load = () => {
    bundle ??= loadBundle().catch((e) => {
      bundle = null; // a later request tries again (e.g. after a fix while running from source)
      throw e;
    });
    return bundle;
  };
  const serve = async (request: Request, path: string) => {
    const bundle = await load();
    if (path === "/") return respond(request, bundle.page, { "content-security-policy": DASHBOARD_CSP, "cache-control": "no-cache" });
    const a = bundle.assets.get(path);
    // Names carry a content hash: a new build gets new names, so assets may be cached for good.
    return a ? respond(request, a, { "cache-control": "public, max-age=31536000, immutable" }) : undefined;
  };
  // A request hook rather than routes: a parameter route for the assets at the root (`/:file`) would
  // also catch the WebSocket upgrade of `/ws`. Unknown names fall through to the usual 404. Not async:
  // every request passes this hook, and only the dashboard's own paths should wait for anything.
  return new Elysia({ name: "ui" }).onRequest(({ request }) => {
    if (request.method !== "GET") return;
    const path = new URL(request.url).pathname;
    if (isDashboardRoute("GET", path)) return serve(request, path);
  });
}
