/**
 * Every JSON body the API reads is depth-limited. Elysia parses JSON bodies with `request.json()`,
 * and a body of 800 KB of `[[[[...` then overflows the stack in the validator's error report (a 500
 * after holding the event loop). This app-wide parse hook scans the text of a JSON body first and
 * refuses one nested too deep with a 400. It parses nothing itself, so every route keeps its own
 * parser (the inline checks read their body as text), except an agent's routes: they take JSON only,
 * and a hub reads hundreds of kilobytes a batch there, so the body is read once and parsed here.
 */
import { Elysia } from "elysia";
import { isInlineCheckPath } from "./inline-check.ts";
import { AGENT_ROUTE_PREFIX } from "../core/agent-wire.ts";
import { DEFAULT_MAX_JSON_DEPTH, JsonDepthError, nestsDeeperThan } from "../core/json.ts";

/** `application/json`, `application/problem+json`, ...: what any parser may read as JSON. */
const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** The 400 message for a body nested too deep. */
export function tooDeepMessage(e: JsonDepthError): string {
  return `the body is ${e.message}; send flatter JSON`;
}

export function jsonDepthGuard(maxDepth = DEFAULT_MAX_JSON_DEPTH) {
  // A clone: the body stream can be read once, and the route's own parser reads it next. The inline
  // checks are left out: they read their body as text and parse it depth-limited themselves
  // (check-input.ts), and they are the hot path, where a second read of every body costs.
  return new Elysia({ name: "json-depth-guard" }).onParse({ as: "global" }, async ({ request, contentType }) => {
    if (!JSON_TYPE.test(contentType)) return;
    const path = new URL(request.url).pathname;
    if (isInlineCheckPath(path)) return;
    if (path.startsWith(AGENT_ROUTE_PREFIX)) {
      // Returned, it is the body: the route's own parser does not run.
      const text = await request.text();
      if (nestsDeeperThan(text, maxDepth)) throw new JsonDepthError(maxDepth);
      return JSON.parse(text) as unknown;
    }
    if (nestsDeeperThan(await request.clone().text(), maxDepth)) throw new JsonDepthError(maxDepth);
  });
}

/**
 * A route's `parse` for a JSON body: the body is read as JSON whatever its Content-Type says (browsers
 * cannot send anything else: auth/origin.ts), and the OpenAPI document describes it as application/json.
 * Without a named parser the document leaves the body's media type and schema out, because the app has
 * a parse hook of its own (the depth guard above).
 */
export const JSON_BODY = "json" as const;
