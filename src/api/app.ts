/**
 * The HTTP and WebSocket API as one Elysia app: CORS, error envelopes, the dashboard contract, and the
 * operations endpoints. Routes are plugins; this file only composes them and maps errors.
 */
import { Elysia } from "elysia";
import { cors } from "@elysiajs/cors";
import { ApiError, failure } from "./envelope.ts";
import type { ApiServices } from "./services.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { consoleRoutes } from "./routes/console/index.ts";
import { opsRoutes } from "./routes/ops.ts";
import { docsRoutes } from "./routes/docs.ts";
import { detectionRoutes } from "./routes/detection.ts";
import { authRequestRoutes } from "./routes/auth-request.ts";
import { wsRoute, WS_SERVER_OPTIONS } from "./ws/route.ts";
import { uiRoutes } from "./routes/ui.ts";
import { agentRoutes } from "./routes/agent.ts";
import { authGuard } from "./auth/guard.ts";
import { browserGuard, browserPolicy, corsOriginCheck } from "./auth/origin.ts";
import { socketCredentialWatcher } from "./auth/socket-credentials.ts";
import { InvalidRangeError } from "../services/range.ts";
import { JsonDepthError } from "../core/json.ts";
import { jsonDepthGuard, tooDeepMessage } from "./json-body.ts";
import { bodyLimitGuard, largestBody } from "./body-limit.ts";
import { mirrorMoved } from "./mirror/moved.ts";
import { UnknownMetricError } from "../services/analytics.ts";

/** Validation messages say which field and what was expected, without echoing the value back. */
function validationMessage(error: unknown): string {
  const e = error as { all?: { path?: string; message?: string; summary?: string; schema?: { error?: unknown } }[]; message?: string };
  const first = e.all?.[0];
  // A schema's own `error` (WholeNumber's "must be ...") says it better than TypeBox's summary.
  const custom = typeof first?.schema?.error === "string" ? first.schema.error : undefined;
  if (first) return `invalid ${first.path ? first.path.replace(/^\//, "").replaceAll("/", ".") : "request"}: ${custom ?? first.summary ?? first.message ?? "does not match the schema"}`;
  return "invalid request";
}

/**
 * The app; its WebSocket hub is `app.decorator.wsHub` (close it before stopping the server: a graceful
 * stop waits for every open socket).
 */
export function createApi(base: Omit<ApiServices, "wsClients">) {
  const ws = wsRoute(base.ctx.bus, { watchCredentials: socketCredentialWatcher(base.ctx.store, base.ctx.now) });
  const hub = ws.decorator.wsHub;
  const s: ApiServices = { ...base, wsClients: () => hub.stats().clients };
  const { config, log } = s.ctx;
  const browsers = browserPolicy(config.server);
  // systemRouter off: Bun's own router matches the path as sent (`/api/keys/7\..\..\check`) while
  // request.url, which the guards read, has it resolved (`/check`); with Elysia's router both see one path.
  return new Elysia({ serve: { maxRequestBodySize: largestBody(config, s.acceptsAgents) }, websocket: WS_SERVER_OPTIONS, systemRouter: false })
    .use(cors({ origin: corsOriginCheck(browsers), credentials: true }))
    .onError(({ code, error, set }) => {
      if (error instanceof ApiError) {
        set.status = error.status;
        return failure(error.message);
      }
      if (error instanceof InvalidRangeError || error instanceof UnknownMetricError) {
        set.status = 400;
        return failure(error.message);
      }
      switch (code) {
        case "VALIDATION":
          // A response that breaks its own schema is Moat's bug, not the client's.
          if ((error as { type?: string }).type === "response") {
            log.error("response does not match its schema", { error: validationMessage(error) });
            set.status = 500;
            return failure("internal error: see Moat's log");
          }
          set.status = 400;
          return failure(validationMessage(error));
        case "PARSE":
          set.status = 400;
          if ((error as { cause?: unknown }).cause instanceof JsonDepthError) return failure(tooDeepMessage((error as { cause: JsonDepthError }).cause));
          return failure("the body could not be parsed: send valid JSON (Content-Type: application/json) or text");
        case "NOT_FOUND":
          set.status = 404;
          return failure("no such endpoint");
        default: {
          const message = (error as Error)?.message ?? String(error);
          if (/too large|payload/i.test(message)) {
            set.status = 413;
            return failure(`the body is larger than ${config.server.max_body_bytes} bytes`);
          }
          log.error("request failed", { error: message });
          set.status = 500;
          return failure("internal error: see Moat's log");
        }
      }
    })
    .use(mirrorMoved(s.ctx)) // copies sent to the old place: refused and said so, before the browser rules
    .use(bodyLimitGuard(config, s.acceptsAgents)) // the size of a body first, whatever else is wrong with it
    .use(jsonDepthGuard()) // before every route with a body, the auth guard's login among them
    .use(browserGuard(browsers)) // request hooks run in order: Host, Origin and body type before credentials
    .use(authGuard(s))
    .use(docsRoutes())
    .use(opsRoutes(s))
    .use(ws)
    .use(dashboardRoutes(s))
    .use(consoleRoutes(s))
    .use(detectionRoutes(s))
    .use(authRequestRoutes(s))
    .use(agentRoutes(s))
    .use(uiRoutes());
}
