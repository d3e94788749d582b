/**
 * Performance: Moat's own health — throughput, ingestion lag, check latency, model time, CPU and
 * memory. On a hub the agent filter narrows the traffic charts (throughput, response time) to one
 * agent; the figures of the process itself are this Moat's, and each agent's lag is on the Agents page.
 */
import { api } from "../lib/api.ts";
import { bytes, count, decimal, duration, ms, percent } from "../lib/format.ts";
import { useApi, useInterval } from "../lib/use-api.ts";
import type { Range } from "../lib/types.ts";
import { TimeChart, type SeriesSpec } from "../components/chart.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";
import { AGENT_FIELD, FilterBar } from "../components/filter-bar.tsx";

const RESOURCE_SERIES: SeriesSpec[] = [
  { key: "cpu", label: "CPU %", color: "#38bdf8" },
  { key: "memory", label: "memory %", color: "#a78bfa" },
];
const LATENCY_SERIES: SeriesSpec[] = [{ key: "latency", label: "response time", color: "#fbbf24" }];
const THROUGHPUT_SERIES: SeriesSpec[] = [{ key: "requests", label: "requests", color: "#4ade80" }];

/** A latency as its p50, with the p99 and the sample count beneath. */
function QuantileKpi({ label, q }: { label: string; q: { p50: number; p99: number; samples: number } }) {
  return q.samples ? <Kpi label={label} value={`p50 ${ms(q.p50)}`} sub={`p99 ${ms(q.p99)} · ${count(q.samples)} samples`} /> : <Kpi label={label} value="–" sub="no samples yet" />;
}

export function PerformancePage({ range, query }: { range: Range; query: URLSearchParams }) {
  const agent = query.get("agent") ?? undefined;
  const perf = useApi(() => api.performance(), []);
  const resources = useApi(() => api.charts.performance(range, agent), [range, agent]);
  const throughput = useApi(() => api.charts.requests(range, agent), [range, agent]);
  useInterval(perf.reload, 5000);
  // Buckets that ended before Moat started have no sample: gaps, where the contract's points say 0.
  const startedAt = perf.data ? Date.now() - perf.data.uptime * 1000 : undefined;
  return (
    <Page title="Performance">
      <FilterBar fields={[AGENT_FIELD]} query={query} />
      <Load of={perf}>
        {(p) => (
          <div className="kpis">
            <Kpi label="Throughput" value={`${decimal(p.linesPerSecond)} lines/s`} sub="log lines read, last 60 s" />
            <QuantileKpi label="Ingestion lag" q={p.ingestLagMs} />
            <QuantileKpi label="Check latency" q={p.checkLatencyMs} />
            <QuantileKpi label="Model time" q={p.modelTimeMs} />
            <Kpi label="CPU" value={percent(p.cpuPercent)} sub="of the whole machine" />
            <Kpi label="Memory" value={bytes(p.rssBytes)} sub={`heap ${bytes(p.heapBytes)}`} />
            <Kpi label="Database" value={bytes(p.dbBytes)} sub="SQLite file and log, or PostgreSQL's size" />
            <Kpi label="Uptime" value={duration(p.uptime)} />
          </div>
        )}
      </Load>
      <div className="grid">
        <Panel title="Throughput">
          <Load of={throughput} isEmpty={(pts) => pts.every((x) => !x.requests)} empty={<Empty title="No requests in this range." />}>
            {(points) => <TimeChart title="Throughput" points={points} series={THROUGHPUT_SERIES} />}
          </Load>
        </Panel>
        <Panel title="Response time">
          <Load of={resources} isEmpty={(pts) => pts.every((x) => !x.latency)} empty={<Empty title="No response times in this range.">They come from $request_time in the log format.</Empty>}>
            {(points) => <TimeChart title="Response time" points={points} series={LATENCY_SERIES} unit="ms" />}
          </Load>
        </Panel>
        <Panel title="CPU and memory" wide>
          <p className="muted small">Kept in memory since Moat started: there is no sample before.</p>
          <Load of={resources} isEmpty={(pts) => pts.length === 0} empty={<Empty title="No samples yet." />}>
            {(points) => <TimeChart title="CPU and memory" points={points} series={RESOURCE_SERIES} unit="%" since={startedAt} />}
          </Load>
        </Panel>
      </div>
    </Page>
  );
}
