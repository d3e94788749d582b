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

const SPEC_PATH = "/openapi.json";

// In a file of its own so that the page needs no inline script under its Content-Security-Policy.
const INIT = `window.ui = SwaggerUIBundle({ url: "${SPEC_PATH}", dom_id: "#swagger-ui", deepLinking: true });`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

type ResponseObject = { description?: string; content?: Record<string, unknown> };
type Operation = { responses?: Record<string, ResponseObject> };
type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

/** A `t.Void` answer as @elysiajs/openapi writes it: `content: { type: "void", description }`, which is no media type map. */
function bodiless(response: ResponseObject): ResponseObject {
  const { content, ...rest } = response;
  return content && "type" in content ? rest : response;
}

const mapValues = <T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));

/**
 * The document with its bodiless answers (the 204s) described without content.
 * Route options offer no other way to say "no body" while Elysia still checks the answer, so this is
 * the one fix made to the document after it is generated. A new object: the plugin caches its own.
 */
function withBodilessAnswers(doc: OpenApiDocument): OpenApiDocument {
  const paths = mapValues(doc.paths, (item) => mapValues(item, (op) => (op.responses ? { ...op, responses: mapValues(op.responses, bodiless) } : op)));
  return { ...doc, paths };
}

function asset(path: string, type: string) {
  return () => new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
}

export function docsRoutes() {
  return new Elysia({ name: "docs" })
    // Registered before the plugin so that it applies to the plugin's route.
    .onAfterHandle(({ path, response }) => (path === SPEC_PATH ? withBodilessAnswers(response as OpenApiDocument) : undefined))
    .use(
      openapi({
        provider: null,
        specPath: SPEC_PATH,
        // OpenAPI describes HTTP operations: the WebSocket (/ws) is in the contract, not here.
        exclude: { methods: ["options", "ws"] },
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
