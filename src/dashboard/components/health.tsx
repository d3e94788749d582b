/** Whether Moat itself is healthy, in one line: its logs, its model, its own checks. */
import { api } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { href } from "../lib/router.ts";
import { useApi, useInterval } from "../lib/use-api.ts";
import { Badge } from "./badge.tsx";

export function Health() {
  const sources = useApi(() => api.sources(), []);
  const models = useApi(() => api.models.list(), []);
  const posture = useApi(() => api.security.posture(), []);
  useInterval(sources.reload, 15_000);
  const s = sources.data;
  const dead = s?.filter((x) => !x.alive) ?? [];
  const last = s?.map((x) => x.lastLineAt).filter((t): t is string => t !== null).sort().at(-1);
  const site = models.data?.find((m) => m.kind === "site" && m.active);
  const generic = models.data?.find((m) => m.kind === "generic");
  const c = posture.data;
  return (
    <ul className="health" aria-label="Moat's health">
      <li>
        {s === undefined ? (
          "…"
        ) : s.length === 0 ? (
          <>
            <Badge value="warning" label="no log" /> not following any log
          </>
        ) : (
          <>
            <Badge value={dead.length ? "fail" : "pass"} label={dead.length ? `${dead.length} log down` : "logs ok"} /> following {s.length} log{s.length > 1 ? "s" : ""}
            {last ? `, last line ${ago(last)}` : ", no line yet"}
            {dead.map((d) => d.problem && <span key={d.path} className="muted small">{` — ${d.path}: ${d.problem}`}</span>)}
          </>
        )}
      </li>
      <li>
        {models.data === undefined ? (
          "…"
        ) : site ? (
          <>
            <Badge value="pass" label="site model" /> <span className="mono">{site.version}</span>
          </>
        ) : (
          <>
            <Badge value="info" label="generic model" /> <span className="mono">{generic?.version ?? "?"}</span> (no site model yet)
          </>
        )}
      </li>
      <li>
        {c === undefined ? (
          "…"
        ) : (
          <a href={href("/security")}>
            <Badge value={c.failed ? "fail" : "pass"} label={`checks ${c.passed}/${c.total}`} /> posture {Math.round(c.score)}%
          </a>
        )}
      </li>
    </ul>
  );
}
