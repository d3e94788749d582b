/** The addresses with the most threats in the range: their network, country and AS, attack types, last attack, and a ban button. */
import { api } from "../lib/api.ts";
import { ago, count } from "../lib/format.ts";
import { addressHref } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Attacker, Range } from "../lib/types.ts";
import { BanControl } from "./ban-control.tsx";
import { AutonomousSystem, Country } from "./geo.tsx";
import { Empty, Load } from "./states.tsx";
import { PlainTable } from "./table.tsx";

const SHOWN = 10;

/** The decision's reason, within the 200 characters the API takes. */
const reasonOf = (a: Attacker) => `${a.threats} threat${a.threats > 1 ? "s" : ""} (${a.types.join(", ")}), banned from the top attackers`.slice(0, 200);

export function TopAttackers({ range, agent }: { range: Range; agent?: string }) {
  const attackers = useApi(() => api.attackers(range, SHOWN, agent), [range, agent]);
  return (
    <Load of={attackers} empty={<Empty title="No attacker in this range." />}>
      {(list) => (
        <PlainTable headers={["Address", "Network", "Country", "AS", "Threats", "Types", "Last", "Ban"]}>
          {list.map((a) => (
            <tr key={a.ip} data-attacker={a.ip}>
              <td>
                <a className="mono" href={addressHref(a.ip)}>
                  {a.ip}
                </a>
              </td>
              <td className="mono small">{a.prefix ?? "–"}</td>
              <td className="small">
                <Country code={a.country} />
              </td>
              <td className="small">
                <AutonomousSystem geo={a} />
              </td>
              <td>{count(a.threats)}</td>
              <td className="small">{a.types.join(", ")}</td>
              <td className="small">
                <time dateTime={a.lastSeen}>{ago(a.lastSeen)}</time>
              </td>
              <td>
                <BanControl ip={a.ip} ban={a.ban} reason={reasonOf(a)} onChanged={attackers.reload} />
              </td>
            </tr>
          ))}
        </PlainTable>
      )}
    </Load>
  );
}
