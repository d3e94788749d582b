/** What one client address did in the range: its threats (but `exclude`, the one being shown) and its latest requests. */
import { api } from "../lib/api.ts";
import { clock, ms } from "../lib/format.ts";
import { href } from "../lib/router.ts";
import { useApi } from "../lib/use-api.ts";
import type { Range } from "../lib/types.ts";
import { Badge } from "./badge.tsx";
import { Empty, Load } from "./states.tsx";

const SHOWN = 20;

export function SourceActivity({ ip, exclude, range }: { ip: string; exclude?: number; range: Range }) {
  const threats = useApi(() => api.threats.list(range, SHOWN + 1, { ip }), [ip, range]);
  const traffic = useApi(() => api.requests(range, SHOWN, { ip }), [ip, range]);
  return (
    <div className="columns columns-2">
      <div>
        <h3>
          {exclude === undefined ? "Threats" : "Other threats"} <a className="small" href={href("/threats", { ip })}>(all)</a>
        </h3>
        <Load of={threats} isEmpty={(l) => l.every((t) => t.id === exclude)} empty={<Empty title={`No ${exclude === undefined ? "" : "other "}threat from ${ip} in this range.`} />}>
          {(list) => (
            <ul className="list">
              {list.filter((t) => t.id !== exclude).slice(0, SHOWN).map((t) => (
                <li key={t.id}>
                  <a href={href(`/threats/${t.id}`)}>{t.type}</a> <span className="mono clip">{t.endpoint}</span> <span className="muted small">{clock(t.timestamp)}</span>
                </li>
              ))}
            </ul>
          )}
        </Load>
      </div>
      <div>
        <h3>
          Latest requests <a className="small" href={href("/traffic", { ip })}>(all)</a>
        </h3>
        <Load of={traffic} empty={<Empty title={`No request from ${ip} left in the traffic window for this range.`} />}>
          {(list) => (
            <ul className="list">
              {list.map((t) => (
                <li key={t.id}>
                  <Badge value={t.isAnomaly ? "flagged" : "benign"} label={t.isAnomaly ? "flagged" : "ok"} /> {t.method} <span className="mono clip">{t.query ? `${t.endpoint}?${t.query}` : t.endpoint}</span> <span className="muted small">{t.status} · {ms(t.latencyMs)} · {clock(t.timestamp)}</span>
                </li>
              ))}
            </ul>
          )}
        </Load>
      </div>
    </div>
  );
}
