/**
 * The store of recent traffic judged benign, for retraining: the traffic window (bounded by retention)
 * minus what was flagged, rebuilt as requests. Rows keep what an access log has (method, target,
 * status, user agent), so a model retrained from them sees what log mode sees; bodies are not kept.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { parseParams } from "../parse/decode.ts";
import type { Store } from "../store/db.ts";
import type { TrafficOf } from "./site-models.ts";

const PAGE = 5000;

/** The rows of `of` (on a hub, a site's agents), as SQL and its values; every row without it. */
function whose(of: TrafficOf | undefined): { where: string; values: string[] } {
  if (!of) return { where: "", values: [] };
  if ("agents" in of) return { where: ` and agent in (${of.agents.map(() => "?").join(", ") || "null"})`, values: of.agents };
  return of.allBut.length ? { where: ` and (agent is null or agent not in (${of.allBut.map(() => "?").join(", ")}))`, values: of.allBut } : { where: "", values: [] };
}

/** How many benign rows the traffic window holds (of `of`): what a retrain could learn from. */
export function benignTrafficCount(store: Store, of?: TrafficOf): number {
  const w = whose(of);
  return (store.sql.query(`select count(*) as n from traffic where is_anomaly = 0${w.where}`).get(...w.values) as { n: number }).n;
}

/** Up to `limit` of the most recent benign requests (of `of`), oldest first, in batches. */
export async function* recentBenignRequests(store: Store, limit: number, of?: TrafficOf): AsyncGenerator<HttpRequest[]> {
  const w = whose(of);
  const newest = store.sql.query(`select id from traffic where is_anomaly = 0${w.where} order by id desc limit 1 offset ?`).get(...w.values, Math.max(0, limit - 1)) as { id: number } | null;
  let lastId = newest ? newest.id - 1 : 0;
  for (;;) {
    const rows = store.sql
      .query(`select id, time, client_ip, method, path, query, status, bytes_sent, request_time, user_agent, source from traffic where is_anomaly = 0${w.where} and id > ? order by id limit ?`)
      .all(...w.values, lastId, PAGE) as { id: number; time: number; client_ip: string; method: string; path: string; query: string; status: number | null; bytes_sent: number | null; request_time: number | null; user_agent: string; source: string }[];
    if (!rows.length) return;
    lastId = rows[rows.length - 1]!.id;
    yield rows.map((r) => ({
      time: r.time,
      clientIp: r.client_ip,
      method: r.method,
      path: r.path,
      query: r.query,
      params: parseParams(r.query, "query"),
      protocol: "HTTP/1.1",
      status: r.status,
      bytesSent: r.bytes_sent,
      referer: "",
      userAgent: r.user_agent,
      host: "",
      requestTime: r.request_time,
      headers: r.user_agent ? [["user-agent", r.user_agent]] : [],
      cookies: [],
      body: null,
      extra: {},
      origin: { source: `store:${r.source}`, line: r.id },
    }));
  }
}
