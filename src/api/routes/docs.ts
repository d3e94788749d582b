/**
 * The OpenAPI document, generated from the routes' `t` schemas, and interactive docs (Swagger UI)
 * served from files embedded in the binary: no CDN, so the docs work on a machine with no internet.
 */
import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
// @ts-expect-error -- a file import: the path of the embedded asset, not the module
import swaggerBundle from "../../../node_modules/swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCss from "../../../node_modules/swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { VERSION } from "../../version.ts";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Moat API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

// In a file of its own so that the page needs no inline script under its Content-Security-Policy.
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

function asset(path: string, type: string) {
  return () => new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}

export function docsRoutes() {
  return new Elysia({ name: "docs" })
    .use(
      openapi({
        provider: null,
        specPath: "/openapi.json",
        documentation: {
          info: { title: "Moat API", version: VERSION, description: "The dashboard contract (shared/API-CONTRACT.md), inline checks, and operations." },
        },
      }),
    )
    .get("/docs", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": CSP } }), { detail: { hide: true } })
    .get("/docs/init.js", () => new Response(INIT, { headers: { "content-type": "text/javascript" } }), { detail: { hide: true } })
    .get("/docs/swagger-ui-bundle.js", asset(swaggerBundle as string, "text/javascript"), { detail: { hide: true } })
    .get("/docs/swagger-ui.css", asset(swaggerCss as string, "text/css"), { detail: { hide: true } });
}
