/**
 * `moat doctor`'s checks of an agent (hub.url set): it has a key, the hub answers and takes the key,
 * and the outbox is not holding or losing requests.
 */
import { existsSync } from "node:fs";
import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import * as schema from "../store/schema.ts";
import { depth } from "../store/outbox.ts";
import type { Config } from "../config/schema.ts";
import { AGENT_ROUTE_PREFIX, hubRoute } from "../core/agent-wire.ts";
import { MISSING_HUB_KEY } from "../agent/agent.ts";
import type { DoctorFinding } from "./doctor-finding.ts";
import { isLoopbackHost } from "../config/exposure.ts";

const CHECK = "hub";

/** What the hub says of the agent's key: the heartbeat route with an empty body is a 400 for a good key, a 401 or 403 for a bad one. */
async function askHub(url: string, key: string): Promise<DoctorFinding> {
  let status: number;
  try {
    const response = await fetch(hubRoute(url, `${AGENT_ROUTE_PREFIX}heartbeat`), { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}", redirect: "error", signal: AbortSignal.timeout(5000) });
    status = response.status;
    await response.body?.cancel();
  } catch (e) {
    return { check: CHECK, status: "fail", message: `cannot reach the hub at ${url}: ${(e as Error).message}; batches wait in the outbox until it can be reached` };
  }
  if (status === 400) return { check: CHECK, status: "ok", message: `${url} answers and takes this agent's key` };
  if (status === 401) return { check: CHECK, status: "fail", message: `${url} refuses hub.key (invalid or revoked): create one on the hub with moat apikey create NAME --scope agent` };
  if (status === 403) return { check: CHECK, status: "fail", message: `${url} takes hub.key but not for agents: its scope must be agent (moat apikey create NAME --scope agent)` };
  if (status === 404) return { check: CHECK, status: "fail", message: `${url} is no Moat hub (no ${AGENT_ROUTE_PREFIX} routes): check hub.url` };
  return { check: CHECK, status: "warn", message: `${url} answered ${status}` };
}

/** The outbox as the last run left it: waiting requests, and requests that never reached the hub. */
function outboxOf(dbPath: string): DoctorFinding | null {
  if (!existsSync(dbPath)) return null;
  const sqlite = new Database(dbPath, { readonly: true });
  try {
    sqlite.exec("PRAGMA busy_timeout = 2000");
    const d = depth({ db: drizzle(sqlite, { schema }) });
    const since = d.oldestAt === null ? "" : `, the oldest since ${new Date(d.oldestAt).toISOString()}`;
    if (d.dropped) return { check: "outbox", status: "warn", message: `${d.dropped} request(s) never reached the hub (the outbox was full, or the hub refused their batch); ${d.requests} waiting${since}` };
    return { check: "outbox", status: "ok", message: `${d.requests} request(s) waiting for the hub${since}` };
  } catch {
    return null; // a database from before agents (no outbox table): nothing to report yet
  } finally {
    sqlite.close();
  }
}

export async function checkHub(config: Config): Promise<DoctorFinding[]> {
  const { url, key } = config.hub;
  if (!url) return [];
  if (!key) return [{ check: CHECK, status: "fail", message: MISSING_HUB_KEY }];
  const outbox = outboxOf(config.storage.db);
  const clear = new URL(url).protocol === "http:" && !isLoopbackHost(new URL(url).hostname);
  const tls: DoctorFinding[] = clear ? [{ check: "hub", status: "warn", message: `${url} is plain http beyond this host: the agent key and the requests travel in the clear, and anyone on the way could send bans and models; put the hub behind TLS (https://)` }] : [];
  return [await askHub(url, key), ...tls, ...(outbox ? [outbox] : [])];
}
