/**
 * Overview: what is hitting the site now (KPIs, requests against flagged requests, threats by type),
 * who attacks most (with a ban button), which alerts need the operator, and the live activity feed.
 */
import { api } from "../lib/api.ts";
import { count, decimal, ms, percent } from "../lib/format.ts";
import { useLive } from "../lib/live.ts";
import { useApi, useInterval } from "../lib/use-api.ts";
import type { Alert, Metrics, Range } from "../lib/types.ts";
import { ActivityFeed } from "../components/activity-feed.tsx";
import { AlertList, mergeAlert } from "../components/alert-list.tsx";
import { TimeChart, type SeriesSpec } from "../components/chart.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";
import { NoTraffic } from "../components/no-traffic.tsx";
import { Health } from "../components/health.tsx";
import { TopAttackers } from "../components/top-attackers.tsx";
import { AGENT_FIELD, FilterBar } from "../components/filter-bar.tsx";

const REQUEST_SERIES: SeriesSpec[] = [
  { key: "requests", label: "requests", color: "#38bdf8" },
  // Its own scale: a few flagged requests among thousands would lie flat on the requests axis.
  { key: "blocked", label: "flagged or blocked", color: "#f87171", ownAxis: true },
];
// The contract folds Moat's classes into sql / xss / other; `ddos` is always 0 (rate jumps are alerts), so it is left out.
const THREAT_SERIES: SeriesSpec[] = [
  { key: "sql", label: "SQL / NoSQL injection", color: "#f87171" },
  { key: "xss", label: "XSS", color: "#fbbf24" },
  { key: "other", label: "other attacks", color: "#a78bfa" },
];

export function Overview({ range, query }: { range: Range; query: URLSearchParams }) {
  const agent = query.get("agent") ?? undefined;
  const summary = useApi(() => api.analytics.summary(range, agent), [range, agent]);
  const now = useApi(() => api.realtime(agent), [agent]);
  const requests = useApi(() => api.charts.requests(range, agent), [range, agent]);
  const threats = useApi(() => api.charts.threats(range, agent), [range, agent]);
  const alerts = useApi(() => api.alerts.active(), []);
  // The live figures are every agent's: one agent's are fetched with the rest below.
  useLive("metrics", (m: Metrics) => agent === undefined && now.update(() => m));
  useLive("alert", (a: Alert) => alerts.update((list) => mergeAlert(list, a)));
  // The range's figures come from the rollups: refresh them while the page is open.
  useInterval(() => {
    summary.reload();
    requests.reload();
    threats.reload();
    if (agent !== undefined) now.reload();
  }, 15_000);

  const s = summary.data;
  const live = now.data;
  return (
    <Page title="Overview">
      <FilterBar fields={[AGENT_FIELD]} query={query} />
      {s && s.requests === 0 && !agent && <NoTraffic />}
      <Health />
      <div className="kpis" aria-label="Key figures">
        <Kpi label={`Requests (${range})`} value={count(s?.requests)} sub={live ? `${count(live.requests)} in the last minute` : undefined} />
        <Kpi label="Flagged or blocked" value={count(s?.flagged)} sub={s ? `${count(s.blocked)} blocked` : undefined} tone={s && s.flagged > 0 ? "warn" : undefined} />
        <Kpi label="Attack rate" value={percent(s?.attackRate, 2)} sub={live ? `${percent(live.attackRate, 2)} in the last minute` : undefined} />
        <Kpi label="Response time" value={ms(s?.avgResponseTimeMs)} sub={live ? `${ms(live.responseTime)} in the last minute` : "mean of $request_time"} />
        <Kpi label="Threats per minute" value={decimal(live?.threatsPerMinute)} sub="last minute, live" tone={live && live.threatsPerMinute > 0 ? "danger" : undefined} />
      </div>
      <div className="grid">
        <Panel title="Requests and flagged requests">
          <Load of={requests} isEmpty={(p) => p.every((x) => !x.requests)} empty={<Empty title="No requests in this range." />}>
            {(points) => <TimeChart title="Requests and flagged requests" points={points} series={REQUEST_SERIES} />}
          </Load>
        </Panel>
        <Panel title="Threats by type">
          <Load of={threats} isEmpty={(p) => p.every((x) => !x.sql && !x.xss && !x.other)} empty={<Empty title="No threats in this range.">Flagged requests are counted here by attack type.</Empty>}>
            {(points) => <TimeChart title="Threats by type" points={points} series={THREAT_SERIES} stacked />}
          </Load>
        </Panel>
        <Panel title="Top attackers" wide>
          <TopAttackers range={range} agent={agent} />
        </Panel>
        <Panel title="Active alerts">
          <Load of={alerts} empty={<Empty title="No active alerts.">Alerts are raised for high-severity threats, bursts from one address, 5xx spikes and request-rate jumps.</Empty>}>
            {(list) => <AlertList alerts={list.slice(0, 8)} onChanged={alerts.reload} />}
          </Load>
        </Panel>
        <Panel title="Activity">
          <ActivityFeed />
        </Panel>
      </div>
    </Page>
  );
}
