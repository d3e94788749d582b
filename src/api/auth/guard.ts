/**
 * Who may call the API. Credentials are an API key (`Authorization: Bearer <key>` or `X-API-Key`) or a
 * dashboard session cookie obtained by logging in with a key. They are required when
 * `server.require_api_key` is "always", or "auto" with the server listening beyond loopback.
 *
 * The check is an `onRequest` hook rather than `onBeforeHandle`: Elysia parses and validates the body
 * before `beforeHandle`, so an anonymous client would get its body parsed and 400/422s describing the
 * schema; `onRequest` answers before any of that, and before routing. Request hooks are app-wide, so
 * it covers every route of the app, whichever plugin registers it and in whatever order. WebSocket
 * upgrades included: `/ws` arrives as an ordinary GET through the same fetch handler, and a refused
 * upgrade gets the 401 as a plain HTTP response, so no socket is ever opened (browsers cannot set
 * headers on a WebSocket: the dashboard's socket rides on the session cookie).
 *
 * A key's scope is enforced here too: a `check` key may call the inline check routes (and /health)
 * only, so the key nginx holds cannot change what Moat does. And the inline check routes are
 * rate-limited per key here (rate-limit.ts), as that is where the key is known.
 */
import { JSON_BODY } from "../json-body.ts";
import { Elysia, t } from "elysia";
import { authRequired } from "../../config/exposure.ts";
import type { Store } from "../../store/db.ts";
import { envelope, ErrorEnvelope, failure, ok } from "../envelope.ts";
import type { ApiServices } from "../services.ts";
import { displayPrefix, verifyKey, type KeyAccess } from "./keys.ts";
import { createSession, deleteSession, pruneExpired, verifySession } from "./sessions.ts";
import { isDashboardRoute } from "../routes/ui.ts";
import { INLINE_CHECK_PATHS, isInlineCheckPath } from "../inline-check.ts";
import { headerKey } from "./presented-key.ts";
import { checkBudget, type Payer } from "./rate-limit.ts";
import { AuthState } from "../console-contract.ts";
import { AGENT_ROUTE_PREFIX } from "../../core/agent-wire.ts";

export const SESSION_COOKIE = "moat_session";
/** How long a dashboard login lasts. */
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Routes anyone may call: the liveness probe, and the endpoints that establish credentials. */
const EXEMPT_ROUTES = new Set(["GET /health", "POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me"]);
const ANONYMOUS_BUCKET = "anonymous";

const HOW_TO_AUTHENTICATE =
  "authentication required: send `Authorization: Bearer <key>` or `X-API-Key: <key>` (create a key with `moat apikey create <name>`), or log in with POST /api/auth/login";
const INVALID_KEY = "the API key is invalid or revoked: check it, or create a new one with `moat apikey create <name>`";
const CHECK_KEY_ONLY_CHECKS = `this API key has the check scope: it may call the inline check routes only (${[...INLINE_CHECK_PATHS].join(", ")}) and /health; use a key with the admin scope (moat apikey create <name> --scope admin)`;
const AGENT_KEY_ONLY_AGENTS = `this API key has the agent scope: it may call the agent routes only (${AGENT_ROUTE_PREFIX}*) and /health; use a key with the admin scope (moat apikey create <name> --scope admin)`;
const ONLY_AGENT_KEYS = `only a key of the agent scope may call ${AGENT_ROUTE_PREFIX}* (moat apikey create NAME --scope agent)`;
const HOW_AGENTS_AUTHENTICATE = "an agent key is required: moat apikey create NAME --scope agent on the hub, then moat serve --hub URL with MOAT_HUB_KEY";
const noLogin = (scope: string) => `this API key has the ${scope} scope, which cannot log in to the dashboard: log in with a key with the admin scope (moat apikey create <name> --scope admin)`;

/** The agent (its key's name) of each request to the agent routes, as the guard found it. */
const agentCallers = new WeakMap<Request, string>();

/** The agent calling an agent route: the guard let the request through only with an agent key. */
export function agentOf(request: Request): string {
  const name = agentCallers.get(request);
  if (name === undefined) throw new Error("an agent route was reached without the auth guard's agent check");
  return name;
}

/** The authenticated caller: the key, whether it came in a header or through a session, and what it may do. */
interface Caller extends KeyAccess {
  keyId: number;
  keyName: string;
}

function sessionToken(request: Request): string | undefined {
  for (const pair of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, value] = pair.trim().split("=", 2);
    if (name === SESSION_COOKIE && value) return value;
  }
  return undefined;
}


/**
 * Who is calling: a Caller, null when no credentials came, "invalid" when a header carried a key that
 * is not valid. A stale session cookie counts as no credentials: on loopback the dashboard keeps
 * working after its session expires, and where credentials are required it is asked to log in again.
 */
export function identify(store: Store, request: Request, now: number): Caller | null | "invalid" {
  const key = headerKey(request.headers);
  if (key !== null) {
    const row = verifyKey(store, key, now);
    return row ? { keyId: row.id, keyName: row.name, scope: row.scope, rateLimit: row.rateLimit } : "invalid";
  }
  const token = sessionToken(request);
  if (!token) return null;
  const session = verifySession(store, token, now);
  return session ? { keyId: session.keyId, keyName: session.keyName, scope: session.scope, rateLimit: session.rateLimit } : null;
}

/** Who pays for an inline check: the key, at its own rate or the server's; callers without a key share one bucket. */
function payerOf(caller: Caller | null, serverRate: number): Payer {
  if (!caller) return { bucket: ANONYMOUS_BUCKET, perSecond: serverRate, who: "from callers without an API key" };
  return { bucket: `key ${caller.keyId}`, perSecond: caller.rateLimit ?? serverRate, who: "for this API key" };
}

/** Behind a TLS-terminating proxy the request reaches Moat over http: the proxy says what the browser used. */
function cameOverHttps(request: Request): boolean {
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(request.url).protocol === "https:";
}

/** The Set-Cookie header for the session: HttpOnly keeps it from scripts, SameSite=Strict from other sites' forms. */
function sessionCookie(request: Request, token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${cameOverHttps(request) ? "; Secure" : ""}`;
}

/** Elysia routes `/x/` to `/x`: the same normalization, so a trailing slash neither escapes nor earns anything. */
function routePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

export function authGuard(s: ApiServices) {
  const { config, store, log } = s.ctx;
  const required = authRequired(config.server);
  const budget = checkBudget(s);

  return new Elysia()
    .onRequest(({ request, set }) => {
      const path = routePath(new URL(request.url).pathname);
      // CORS preflights carry no credentials by design: the cors plugin, registered before this one, answers them.
      // The dashboard's page and assets hold no data: the app itself asks for a login when the API answers 401.
      if (EXEMPT_ROUTES.has(`${request.method} ${path}`) || isDashboardRoute(request.method, path)) return;
      const caller = identify(store, request, s.ctx.now());
      if (caller === "invalid" || (caller === null && required)) {
        set.status = 401;
        set.headers["www-authenticate"] = 'Bearer realm="moat"';
        return failure(caller === "invalid" ? INVALID_KEY : HOW_TO_AUTHENTICATE);
      }
      const inlineCheck = isInlineCheckPath(path);
      if (caller?.scope === "check" && !inlineCheck) {
        set.status = 403;
        return failure(CHECK_KEY_ONLY_CHECKS);
      }
      const agentRoute = path.startsWith(AGENT_ROUTE_PREFIX);
      if (caller?.scope === "agent" && !agentRoute) {
        set.status = 403;
        return failure(AGENT_KEY_ONLY_AGENTS);
      }
      // The agent routes take agent keys only, checked here, before any body is read.
      if (agentRoute) {
        if (caller?.scope === "agent") return void agentCallers.set(request, caller.keyName);
        set.status = caller ? 403 : 401;
        return failure(caller ? ONLY_AGENT_KEYS : HOW_AGENTS_AUTHENTICATE);
      }
      if (!inlineCheck) return;
      const refused = budget.admit(request, payerOf(caller, config.server.check_rate_limit));
      if (!refused) return;
      set.status = refused.status;
      Object.assign(set.headers, refused.headers);
      return failure(refused.message);
    })
    .post(
      "/api/auth/login",
      ({ body, request, set, server }) => {
        const now = s.ctx.now();
        const ip = server?.requestIP(request)?.address;
        const key = verifyKey(store, body.key, now);
        if (!key) {
          log.warn("dashboard login failed", { ip });
          set.status = 401;
          return failure(INVALID_KEY);
        }
        if (key.scope !== "admin") {
          log.warn(`dashboard login refused: the key has the ${key.scope} scope`, { key: displayPrefix(key.prefix), name: key.name, ip });
          set.status = 403;
          return failure(noLogin(key.scope));
        }
        // Logins are rare and the delete is indexed: a convenient moment to keep the table small.
        pruneExpired(store, now);
        const token = createSession(store, key.id, SESSION_TTL_MS, now);
        set.headers["set-cookie"] = sessionCookie(request, token, Math.floor(SESSION_TTL_MS / 1000));
        log.info("dashboard login", { key: displayPrefix(key.prefix), name: key.name, ip });
        return ok({ keyName: key.name }, "logged in");
      },
      {
        parse: JSON_BODY,
        body: t.Object({ key: t.String({ minLength: 1, maxLength: 256, description: "an API key (moat apikey create <name>)" }) }),
        response: { 200: envelope(t.Object({ keyName: t.String() })), 401: ErrorEnvelope, 403: ErrorEnvelope },
        detail: { tags: ["auth"], summary: "log in with an API key: sets the moat_session cookie (HttpOnly, SameSite=Strict)" },
      },
    )
    .post(
      "/api/auth/logout",
      ({ request, set }) => {
        const token = sessionToken(request);
        if (token) deleteSession(store, token);
        set.headers["set-cookie"] = sessionCookie(request, "", 0);
        return ok(null, "logged out");
      },
      { response: envelope(t.Null()), detail: { tags: ["auth"], summary: "end the dashboard session and clear its cookie" } },
    )
    .get(
      "/api/auth/me",
      ({ request }) => {
        const caller = identify(store, request, s.ctx.now());
        const known = caller !== null && caller !== "invalid";
        return ok({ authenticated: known, required, ...(known ? { keyName: caller.keyName } : {}) });
      },
      {
        response: envelope(AuthState),
        detail: { tags: ["auth"], summary: "whether this request is authenticated, and whether the API requires it" },
      },
    );
}
