/**
 * One client address (#/address/<ip>): how much it sent and how much was flagged, when it was first
 * and last seen, its network (with its country and AS when the operator configured the geo
 * databases), whether a ban covers it (with ban or lift), its threats and requests.
 */
import { api } from "../lib/api.ts";
import { clock, count } from "../lib/format.ts";
import { href } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { AddressProfile, Range } from "../lib/types.ts";
import { BanControl } from "../components/ban-control.tsx";
import { AutonomousSystem, Country } from "../components/geo.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { SourceActivity } from "../components/source-activity.tsx";
import { Load } from "../components/states.tsx";

function Profile({ p, onChanged, range }: { p: AddressProfile; onChanged: () => void; range: Range }) {
  return (
    <>
      <div className="kpis">
        <Kpi label="Requests" value={count(p.requests)} sub="in the recent-traffic window" />
        <Kpi label="Flagged" value={count(p.flagged)} tone={p.flagged ? "warn" : undefined} />
        <Kpi label="Threats" value={count(p.threats)} sub="stored, all time" tone={p.threats ? "danger" : undefined} />
        <Kpi label="First seen" value={clock(p.firstSeen)} />
        <Kpi label="Last seen" value={clock(p.lastSeen)} />
      </div>
      <div className="meta">
        <span>
          network <span className="mono">{p.prefix ?? "–"}</span>
        </span>
        <span>
          country <Country code={p.country} />
        </span>
        <span>
          operator <AutonomousSystem geo={p} />
        </span>
        <span>
          {p.ban ? `${p.ban.reason} · ${p.ban.expiresAt ? `until ${clock(p.ban.expiresAt)}` : "until lifted"}` : "not banned"}
        </span>
        <BanControl ip={p.ip} ban={p.ban} reason={`${p.threats} threat${p.threats === 1 ? "" : "s"}, banned from its profile page`} onChanged={onChanged} />
      </div>
      <Panel title={`Activity of ${p.ip}`} wide>
        <SourceActivity ip={p.ip} range={range} />
      </Panel>
    </>
  );
}

export function AddressPage({ ip, range }: { ip: string; range: Range }) {
  const profile = useApi(() => api.address(ip), [ip]);
  return (
    <Page title={`Address ${ip}`} actions={<a className="btn" href={href("/bans")}>All bans</a>}>
      <Load of={profile}>{(p) => <Profile p={p} onChanged={profile.reload} range={range} />}</Load>
    </Page>
  );
}
