/**
 * Drill-down for one endpoint: its recent requests in the range (at most the 1,000 newest, which
 * is what the figures are computed from, and said so), their statuses, verdicts and clients.
 */
import { api } from "../lib/api.ts";
import { count, percent } from "../lib/format.ts";
import { href, setQuery } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Range, Traffic } from "../lib/types.ts";
import { Kpi, Panel } from "./page.tsx";
import { Empty, Load } from "./states.tsx";

function tally(rows: Traffic[], key: (t: Traffic) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const t of rows) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

function Tally({ title, entries }: { title: string; entries: [string, number][] }) {
  return (
    <div>
      <h3>{title}</h3>
      <ul className="bars">
        {entries.slice(0, 6).map(([k, n]) => (
          <li key={k}>
            <span className="mono clip" title={k}>
              {k}
            </span>
            <span>{count(n)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function EndpointPanel({ endpoint, range }: { endpoint: string; range: Range }) {
  const rows = useApi(() => api.traffic.endpoint(endpoint, range), [endpoint, range]);
  return (
    <Panel
      title={`Endpoint ${endpoint}`}
      wide
      actions={
        <>
          <a className="btn btn-small" href={href("/threats", { q: endpoint })}>
            Threats on it
          </a>
          <button type="button" className="btn btn-small" onClick={() => setQuery({ endpoint: undefined })}>
            Close
          </button>
        </>
      }
    >
      <Load of={rows} empty={<Empty title="No requests to this exact path in this range." />}>
        {(list) => {
          const flagged = list.filter((t) => t.isAnomaly).length;
          return (
            <>
              <p className="muted small">From the {count(list.length)} most recent requests to this path in the range.</p>
              <div className="kpis">
                <Kpi label="Requests" value={count(list.length)} />
                <Kpi label="Flagged" value={count(flagged)} sub={percent((100 * flagged) / list.length)} tone={flagged ? "warn" : undefined} />
                <Kpi label="Clients" value={count(new Set(list.map((t) => t.ip)).size)} />
              </div>
              <div className="columns">
                <Tally title="Statuses" entries={tally(list, (t) => String(t.status || "none"))} />
                <Tally title="Methods" entries={tally(list, (t) => t.method)} />
                <Tally title="Clients" entries={tally(list, (t) => t.ip)} />
                <Tally title="Verdicts" entries={tally(list, (t) => (t.isAnomaly ? (t.attackType ?? "flagged") : "benign"))} />
              </div>
            </>
          );
        }}
      </Load>
    </Panel>
  );
}
