/** The followed logs and their health. */
import { api } from "../../lib/api.ts";
import { ago, count, ms } from "../../lib/format.ts";
import { useApi, useInterval } from "../../lib/use-api.ts";
import { Badge } from "../../components/badge.tsx";
import { Empty, Load } from "../../components/states.tsx";

export function SourceSettings() {
  const sources = useApi(() => api.sources(), []);
  useInterval(sources.reload, 10_000);
  return (
    <Load of={sources} empty={<Empty title="No log is followed.">Start Moat with <code>moat serve --log /var/log/nginx/access.log</code> (or set <code>ingest.logs</code> in moat.toml).</Empty>}>
      {(list) => (
        <ul className="list">
          {list.map((s) => (
            <li key={s.path} className="source">
              <div>
                <Badge value={s.alive ? "pass" : "fail"} label={s.alive ? "following" : "stopped"} /> <span className="mono">{s.path}</span> <span className="muted small">({s.format})</span>
              </div>
              {s.problem && <div className="note note-error">{s.problem}</div>}
              <div className="muted small">
                {count(s.lines)} lines · {count(s.parseErrors)} did not parse · {s.rotations} rotations · last line {s.lastLineAt ? ago(s.lastLineAt) : "never"} · lag {ms(s.lagMs)}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Load>
  );
}
