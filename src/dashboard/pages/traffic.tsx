/**
 * Traffic: a live tail of every request (filtered, pausable, pageable to older rows) with its query
 * string and response time, and a drill-down per endpoint. The live feed carries the contract's
 * fields only: new rows are shown at once, then completed from GET /api/requests.
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../lib/api.ts";
import { clock, ms } from "../lib/format.ts";
import { useLive } from "../lib/live.ts";
import { addressHref, setQuery } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Range, TailRow, Traffic, TrafficFilter } from "../lib/types.ts";
import { Badge } from "../components/badge.tsx";
import { EndpointPanel } from "../components/endpoint-panel.tsx";
import { AGENT_FIELD, FilterBar, agentMatches, type FilterField } from "../components/filter-bar.tsx";
import { Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";
import { VirtualTable, type Column } from "../components/table.tsx";
import { NoTraffic } from "../components/no-traffic.tsx";

const FIELDS: FilterField[] = [
  { name: "ip", label: "Client IP", placeholder: "203.0.113.7" },
  { name: "method", label: "Method", options: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] },
  { name: "status", label: "Status", placeholder: "404", inputMode: "numeric" },
  { name: "path", label: "Path contains", placeholder: "/login" },
  { name: "verdict", label: "Verdict", options: ["flagged", "benign"] },
  AGENT_FIELD,
];
const PAGE = 200;
/** Rows kept in the tail; older ones are a "load older" away. */
const KEEP = 5000;
/** Live rows are shown in batches, so that a busy site does not re-render the table per request. */
const FLUSH_MS = 300;

function filterOf(query: URLSearchParams): TrafficFilter {
  const verdict = query.get("verdict");
  return {
    ip: query.get("ip") ?? undefined,
    method: query.get("method") ?? undefined,
    status: query.get("status") ?? undefined,
    path: query.get("path") ?? undefined,
    verdict: verdict === "flagged" || verdict === "benign" ? verdict : undefined,
    agent: query.get("agent") ?? undefined,
  };
}

/** The server's filter semantics, for live rows: exact IP, method and status; path contains; verdict. */
function matches(t: Traffic, f: TrafficFilter): boolean {
  return (
    (!f.ip || t.ip === f.ip) &&
    (!f.method || t.method === f.method.toUpperCase()) &&
    (!f.status || t.status === Number(f.status)) &&
    (!f.path || t.endpoint.includes(f.path)) &&
    (!f.verdict || t.isAnomaly === (f.verdict === "flagged")) &&
    agentMatches(t, f.agent)
  );
}

/** The list with the rows of `full` in place of theirs (the same requests, completed). */
function completed(list: TailRow[], full: TailRow[]): TailRow[] {
  const byId = new Map(full.map((t) => [t.id, t]));
  return list.map((t) => byId.get(t.id) ?? t);
}

const COLUMNS: Column<TailRow>[] = [
  { header: "Time", width: "6.5rem", cell: (t) => <time dateTime={t.timestamp}>{clock(t.timestamp)}</time> },
  { header: "Verdict", width: "8rem", cell: (t) => (t.isAnomaly ? <Badge value={t.wasBlocked ? "blocked" : "flagged"} label={t.attackType ?? "flagged"} /> : <Badge value="benign" label="ok" />) },
  { header: "Method", width: "5rem", cell: (t) => t.method },
  { header: "Status", width: "4.5rem", cell: (t) => t.status || "–" },
  {
    header: "Endpoint",
    cell: (t) => (
      <button type="button" className="link mono clip" title={t.endpoint} onClick={() => setQuery({ endpoint: t.endpoint })}>
        {t.endpoint}
      </button>
    ),
  },
  { header: "Query", cell: (t) => <span className="mono clip muted" title={t.query}>{t.query || (t.query === undefined ? "…" : "–")}</span> },
  { header: "Host", width: "9rem", cell: (t) => <span className="mono clip muted" title={t.host ?? ""}>{t.host ?? (t.host === undefined ? "…" : "–")}</span> },
  {
    header: "Client",
    width: "11rem",
    cell: (t) => (
      <>
        <button type="button" className="link mono" onClick={() => setQuery({ ip: t.ip })} title={`Only requests from ${t.ip}`}>
          {t.ip}
        </button>{" "}
        <a href={addressHref(t.ip)} className="small" aria-label={`Profile of ${t.ip}`}>
          profile
        </a>
      </>
    ),
  },
  { header: "Latency", width: "5.5rem", cell: (t) => (t.latencyMs === undefined ? "…" : ms(t.latencyMs)) },
  { header: "Size", width: "5rem", cell: (t) => t.size },
  { header: "User agent", cell: (t) => <span className="muted clip" title={t.userAgent}>{t.userAgent || "–"}</span> },
];

export function TrafficPage({ range, query }: { range: Range; query: URLSearchParams }) {
  const filter = filterOf(query);
  const filterKey = JSON.stringify(filter);
  const endpoint = query.get("endpoint");
  const [older, setOlder] = useState<{ busy: boolean; done: boolean; error?: string }>({ busy: false, done: false });
  // Each load of the list has a number. An answer that arrives after a newer load began (its first
  // page, or older rows asked for under the previous range or filter) must not touch the new list.
  const listLoad = useRef(0);
  const rows = useApi(() => {
    const load = ++listLoad.current;
    return api.requests(range, PAGE, filter).then((list) => {
      if (load === listLoad.current) setOlder({ busy: false, done: list.length < PAGE });
      return list;
    });
  }, [range, filterKey]);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState(0);
  const incoming = useRef<Traffic[]>([]);
  // What the live rows are completed under: the latest range and filter, read by the flush timer.
  const shown = useRef({ range, filter });
  shown.current = { range, filter };
  useEffect(() => {
    incoming.current = [];
    setHeld(0);
  }, [range, filterKey]);

  useLive("traffic", (t: Traffic) => {
    if (!matches(t, filter)) return;
    incoming.current.unshift(t);
    if (incoming.current.length > KEEP) incoming.current.length = KEEP;
    if (paused) setHeld(incoming.current.length);
  });

  useEffect(() => {
    if (paused) return;
    const flush = () => {
      if (!incoming.current.length) return;
      const fresh = incoming.current;
      incoming.current = [];
      setHeld(0);
      const ids = new Set(fresh.map((t) => t.id));
      rows.update((list) => (list ? [...fresh, ...list.filter((t) => !ids.has(t.id))].slice(0, KEEP) : list));
      // A failed completion leaves the rows as the feed sent them.
      api.requests(shown.current.range, Math.min(fresh.length, PAGE), shown.current.filter).then((full) => rows.update((list) => list && completed(list, full)), () => undefined);
    };
    flush();
    const id = setInterval(flush, FLUSH_MS);
    return () => clearInterval(id);
  }, [paused, rows.update]);

  const loadOlder = async () => {
    const last = rows.data?.at(-1);
    if (!last) return;
    const load = listLoad.current;
    setOlder({ busy: true, done: false });
    try {
      const more = await api.requests(range, PAGE, filter, last.id);
      if (load !== listLoad.current) return; // the new list's own load sets `older`
      rows.update((list) => [...(list ?? []), ...more]);
      setOlder({ busy: false, done: more.length < PAGE });
    } catch (e) {
      if (load === listLoad.current) setOlder({ busy: false, done: false, error: (e as Error).message });
    }
  };

  const filtered = Object.values(filter).some(Boolean);
  return (
    <Page
      title="Traffic"
      actions={
        <button type="button" className="btn" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? `Resume${held ? ` (${held} new)` : ""}` : "Pause"}
        </button>
      }
    >
      <FilterBar fields={FIELDS} query={query} />
      {endpoint && <EndpointPanel endpoint={endpoint} range={range} />}
      <Panel title={paused ? "Live tail (paused)" : "Live tail"} wide>
        <Load
          of={rows}
          empty={filtered ? <Empty title="No request matches these filters in this range.">Widen the time range or clear the filters.</Empty> : <NoTraffic />}
        >
          {(list) => (
            <>
              <p className="muted small" aria-live="polite">
                {list.length} requests shown, newest first{paused ? "; new ones are held until you resume" : ", new ones appear as they arrive"}.
              </p>
              <VirtualTable label="Requests" rows={list} columns={COLUMNS} rowKey={(t) => t.id} rowClass={(t) => (t.isAnomaly ? "row-flagged" : "")} />
              <div className="toolbar">
                {older.error && <span className="note note-error">{older.error}</span>}
                {older.done ? (
                  <span className="muted small">No older requests in this range.</span>
                ) : (
                  <button type="button" className="btn" disabled={older.busy} onClick={loadOlder}>
                    {older.busy ? "Loading…" : "Load older"}
                  </button>
                )}
              </div>
            </>
          )}
        </Load>
      </Panel>
    </Page>
  );
}
