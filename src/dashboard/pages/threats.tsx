/** Threats: every flagged request, filterable and paged, newest first; new ones arrive live on the first page. */
import { useState } from "react";
import { api } from "../lib/api.ts";
import { clock, count, score } from "../lib/format.ts";
import { useLive } from "../lib/live.ts";
import { href, setQuery } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Range, Threat, ThreatFilter } from "../lib/types.ts";
import type { THREAT_SEVERITIES } from "../../core/enums.ts";
import { Badge } from "../components/badge.tsx";
import { AGENT_FIELD, FilterBar, agentMatches, type FilterField } from "../components/filter-bar.tsx";
import { Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";
import { VirtualTable, type Column } from "../components/table.tsx";

const PAGE = 100;
// The server's THREAT_SEVERITIES, restated because values cannot cross a type-only import (tsc checks they agree).
const SEVERITY_OPTIONS: string[] = ["critical", "high", "medium", "low"] satisfies typeof THREAT_SEVERITIES;

function filterOf(query: URLSearchParams): ThreatFilter {
  return { ip: query.get("ip") ?? undefined, type: query.get("type") ?? undefined, severity: query.get("severity") ?? undefined, q: query.get("q") ?? undefined, agent: query.get("agent") ?? undefined };
}

function matches(t: Threat, f: ThreatFilter): boolean {
  return (!f.ip || t.source === f.ip) && (!f.type || t.type === f.type) && (!f.severity || t.severity === f.severity) && (!f.q || t.endpoint.includes(f.q)) && agentMatches(t, f.agent);
}

const COLUMNS: Column<Threat>[] = [
  { header: "Time", width: "6.5rem", cell: (t) => <time dateTime={t.timestamp}>{clock(t.timestamp)}</time> },
  {
    header: "Type",
    width: "8rem",
    cell: (t) => (
      <a href={href(`/threats/${t.id}`)} aria-label={`Threat ${t.id}: ${t.type} from ${t.source}`}>
        {t.type}
      </a>
    ),
  },
  { header: "Severity", width: "6rem", cell: (t) => <Badge value={t.severity} /> },
  { header: "Score", width: "4.5rem", cell: (t) => score(t.score) },
  { header: "Verdict", width: "5.5rem", cell: (t) => <Badge value={t.blocked ? "blocked" : "flagged"} /> },
  {
    header: "Source",
    width: "9rem",
    cell: (t) => (
      <button type="button" className="link mono" onClick={() => setQuery({ ip: t.source })} title={`Only threats from ${t.source}`}>
        {t.source}
      </button>
    ),
  },
  { header: "Endpoint", cell: (t) => <span className="mono clip" title={t.endpoint}>{t.endpoint}</span> },
  { header: "Why", cell: (t) => <span className="muted clip" title={t.details}>{t.details}</span> },
];

export function ThreatsPage({ range, query }: { range: Range; query: URLSearchParams }) {
  const filter = filterOf(query);
  const filterKey = JSON.stringify(filter);
  // Cursors of the pages before this one (the first page has none), with the range and filter they
  // page through. A new range or filter starts from the first page: reset while rendering, so that no
  // request goes out for the old cursor with the new filter (as it would from an effect).
  const listKey = `${range} ${filterKey}`;
  const [paging, setPaging] = useState<{ listKey: string; cursors: number[] }>({ listKey, cursors: [] });
  if (paging.listKey !== listKey) setPaging({ listKey, cursors: [] });
  const { cursors } = paging;
  const setCursors = (next: number[]) => setPaging({ listKey, cursors: next });
  const before = cursors.at(-1);
  const threats = useApi(() => api.threats.list(range, PAGE, filter, before), [range, filterKey, before]);
  const stats = useApi(() => api.threats.stats(range), [range]);
  useLive("threat", (t: Threat) => {
    if (before !== undefined || !matches(t, filter)) return;
    threats.update((list) => (list ? [t, ...list.filter((x) => x.id !== t.id)].slice(0, PAGE) : list));
  });

  const types = Object.entries(stats.data ?? {}).sort((a, b) => b[1] - a[1]);
  const fields: FilterField[] = [
    { name: "ip", label: "Source IP", placeholder: "203.0.113.7" },
    { name: "type", label: "Attack type", options: types.map(([t]) => t).concat(filter.type && !types.some(([t]) => t === filter.type) ? [filter.type] : []) },
    { name: "severity", label: "Severity", options: SEVERITY_OPTIONS },
    { name: "q", label: "Endpoint contains", placeholder: "/search" },
    AGENT_FIELD,
  ];
  const filtered = Object.values(filter).some(Boolean);
  return (
    <Page title="Threats">
      <FilterBar fields={fields} query={query} />
      {types.length > 0 && (
        <nav className="chips" aria-label="Threats by type">
          {types.map(([type, n]) => (
            <a key={type} className={filter.type === type ? "chip chip-on" : "chip"} href={href("/threats", { ...filter, type })}>
              {type} <strong>{count(n)}</strong>
            </a>
          ))}
        </nav>
      )}
      <Panel title={cursors.length ? `Threats, page ${cursors.length + 1}` : "Threats, newest first"} wide>
        <Load
          of={threats}
          empty={
            filtered || cursors.length ? (
              <Empty title="No threat matches in this range.">Widen the time range or clear the filters.</Empty>
            ) : (
              <Empty title="No threats in this range.">Flagged requests appear here with their reasons as Moat reads them.</Empty>
            )
          }
        >
          {(list) => <VirtualTable label="Threats" rows={list} columns={COLUMNS} rowKey={(t) => t.id} busy={threats.loading} />}
        </Load>
        <div className="toolbar">
          <button type="button" className="btn" disabled={threats.loading || !cursors.length} onClick={() => setCursors([])}>
            Newest
          </button>
          <button type="button" className="btn" disabled={threats.loading || !cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
            ← Newer
          </button>
          <button type="button" className="btn" disabled={threats.loading || (threats.data?.length ?? 0) < PAGE} onClick={() => setCursors([...cursors, threats.data!.at(-1)!.id])}>
            Older →
          </button>
        </div>
      </Panel>
    </Page>
  );
}
