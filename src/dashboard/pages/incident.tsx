/**
 * One incident (#/incidents/<id>): the alert of a campaign — an attack type from one network — with
 * its threats counted, when it began and last struck, the addresses it came from (each linked to its
 * page) and the endpoints it hit. Acknowledging it acknowledges its threats.
 */
import { api } from "../lib/api.ts";
import { clock, count } from "../lib/format.ts";
import { addressHref } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Incident } from "../lib/types.ts";
import { AlertList } from "../components/alert-list.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { Load } from "../components/states.tsx";

function Counts({ title, rows, link }: { title: string; rows: Incident["addresses"]; link?: (value: string) => string }) {
  return (
    <Panel title={title}>
      <ul className="list" aria-label={title}>
        {rows.map((r) => (
          <li key={r.value} className="incident-row">
            {link ? (
              <a className="mono" href={link(r.value)}>
                {r.value}
              </a>
            ) : (
              <span className="mono clip">{r.value}</span>
            )}{" "}
            <span className="muted">
              {count(r.threats)} threat{r.threats === 1 ? "" : "s"}
            </span>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

export function IncidentPage({ id }: { id: string }) {
  const incident = useApi(() => api.incident(Number(id)), [id]);
  return (
    <Page title="Incident">
      <Load of={incident}>
        {(i) => (
          <>
            <AlertList alerts={[i.alert]} onChanged={incident.reload} />
            <div className="kpis">
              <Kpi label="Threats" value={count(i.threats)} tone={i.threats ? "danger" : undefined} />
              <Kpi label="Addresses" value={count(i.addresses.length)} />
              <Kpi label="First seen" value={i.firstSeen ? clock(i.firstSeen) : "–"} />
              <Kpi label="Last seen" value={i.lastSeen ? clock(i.lastSeen) : "–"} />
            </div>
            <Counts title="Addresses" rows={i.addresses} link={addressHref} />
            <Counts title="Endpoints hit" rows={i.endpoints} />
          </>
        )}
      </Load>
    </Page>
  );
}
