/** Analytics over the range: trends, the top endpoints, clients, user agents and attack types, and the status mix. */
import { useState } from "react";
import { api } from "../lib/api.ts";
import { clock, count, ms, percent } from "../lib/format.ts";
import { href } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { AnalyticsSummary, Range, TopEntry } from "../lib/types.ts";
import type { TREND_METRICS } from "../../core/enums.ts";
import { TimeChart, type SeriesSpec } from "../components/chart.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";
import { AGENT_FIELD, FilterBar } from "../components/filter-bar.tsx";

const OVERVIEW_SERIES: SeriesSpec[] = [
  { key: "allowed", label: "allowed", color: "#4ade80" },
  { key: "blocked", label: "flagged or blocked", color: "#f87171" },
];
// The server's TREND_METRICS: a type-only import keeps server code out of the bundle, and tsc checks that the two agree.
const TRENDS: readonly string[] = ["requests", "flagged", "blocked", "attack-rate", "response-time", "errors"] satisfies typeof TREND_METRICS;

/** `link`: where an entry leads (a filtered page), when there is such a page. */
function TopList({ title, entries, link }: { title: string; entries: TopEntry[]; link?: (key: string) => string }) {
  const max = Math.max(1, ...entries.map((e) => e.requests));
  return (
    <Panel title={title}>
      {entries.length === 0 ? (
        <Empty title="Nothing in this range." />
      ) : (
        <ol className="bars">
          {entries.map((e) => (
            <li key={e.key}>
              {link ? (
                <a href={link(e.key)} className="mono clip" title={e.key}>
                  {e.key || "(empty)"}
                </a>
              ) : (
                <span className="mono clip" title={e.key}>
                  {e.key || "(empty)"}
                </span>
              )}
              <span className="bar" aria-hidden="true">
                <span className="bar-fill" style={{ width: `${(100 * e.requests) / max}%` }} />
              </span>
              <span>
                {count(e.requests)}
                {e.flagged > 0 && <span className="warn-text"> · {count(e.flagged)} flagged</span>}
              </span>
            </li>
          ))}
        </ol>
      )}
    </Panel>
  );
}

function Summary({ s, range }: { s: AnalyticsSummary; range: Range }) {
  const statuses = Object.entries(s.statusMix).sort();
  const statusTotal = statuses.reduce((a, [, n]) => a + n, 0) || 1;
  return (
    <>
      <div className="kpis">
        <Kpi label="Requests" value={count(s.requests)} />
        <Kpi label="Flagged" value={count(s.flagged)} sub={`${percent(s.attackRate, 2)} attack rate`} tone={s.flagged ? "warn" : undefined} />
        <Kpi label="Blocked" value={count(s.blocked)} />
        <Kpi label="5xx errors" value={count(s.errors5xx)} tone={s.errors5xx ? "danger" : undefined} />
        <Kpi label="Mean response time" value={ms(s.avgResponseTimeMs)} />
      </div>
      <p className="muted small">
        Top lists and status mix: from {count(s.trafficWindow.rows)} stored requests{s.trafficWindow.oldest ? ` since ${clock(new Date(s.trafficWindow.oldest).toISOString())}` : ""}
        {s.trafficWindow.truncated ? " (the newest ones only: the range holds more)" : ""}.
      </p>
      <div className="grid">
        <TopList title="Top endpoints" entries={s.topEndpoints} link={(k) => href("/traffic", { endpoint: k, range })} />
        <TopList title="Top client IPs" entries={s.topIps} link={(k) => href("/traffic", { ip: k, range })} />
        <TopList title="Top user agents" entries={s.topUserAgents} />
        <TopList title="Top attack types" entries={s.topAttackTypes.map((t) => ({ key: t.type, requests: t.count, flagged: t.count }))} link={(k) => href("/threats", { type: k, range })} />
        <Panel title="Status mix">
          {statuses.length === 0 ? (
            <Empty title="Nothing in this range." />
          ) : (
            <ul className="bars">
              {statuses.map(([k, n]) => (
                <li key={k}>
                  <span>{k}</span>
                  <span className="bar" aria-hidden="true">
                    <span className={`bar-fill status-${k}`} style={{ width: `${(100 * n) / statusTotal}%` }} />
                  </span>
                  <span>
                    {count(n)} ({percent((100 * n) / statusTotal)})
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
    </>
  );
}

export function AnalyticsPage({ range, query }: { range: Range; query: URLSearchParams }) {
  const [metric, setMetric] = useState("requests");
  const agent = query.get("agent") ?? undefined;
  const summary = useApi(() => api.analytics.summary(range, agent), [range, agent]);
  const overview = useApi(() => api.analytics.overview(range, agent), [range, agent]);
  const trend = useApi(() => api.analytics.trend(metric, range, agent), [metric, range, agent]);
  const types = summary.data?.topAttackTypes.map((t) => t.type) ?? [];
  return (
    <Page title="Analytics">
      <FilterBar fields={[AGENT_FIELD]} query={query} />
      <div className="grid">
        <Panel title="Allowed and flagged requests">
          <Load of={overview} isEmpty={(p) => p.every((x) => !x.requests)} empty={<Empty title="No requests in this range." />}>
            {(points) => <TimeChart title="Allowed and flagged requests" points={points} series={OVERVIEW_SERIES} stacked />}
          </Load>
        </Panel>
        <Panel
          title="Trend"
          actions={
            <label className="filter-inline">
              <span className="sr-only">Trend of</span>
              <select value={metric} onChange={(e) => setMetric(e.target.value)}>
                {[...TRENDS, ...types.filter((t) => !TRENDS.includes(t))].map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
          }
        >
          <Load of={trend}>{(points) => <TimeChart title={`Trend of ${metric}`} points={points} series={[{ key: "value", label: metric, color: "#38bdf8" }]} />}</Load>
        </Panel>
      </div>
      <Load of={summary}>{(s) => <Summary s={s} range={range} />}</Load>
    </Page>
  );
}
