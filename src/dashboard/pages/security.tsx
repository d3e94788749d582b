/**
 * Security: Moat's own checks (each with a run button and its details) and its posture, the share
 * of checks that pass. Checks older than a minute are run again when the page opens: a setting or
 * ban changed since would otherwise show the state before it.
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../lib/api.ts";
import { useAction } from "../lib/use-action.ts";
import { ago, count } from "../lib/format.ts";
import { useApi } from "../lib/use-api.ts";
import type { SecurityCheck } from "../lib/types.ts";
import { Badge } from "../components/badge.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { Empty, Load, Note } from "../components/states.tsx";

function CheckRow({ check, onRan }: { check: SecurityCheck; onRan: (c: SecurityCheck) => void }) {
  const action = useAction();
  return (
    <li className="check-row" data-check-id={check.id}>
      <div className="check-main">
        <div>
          <Badge value={check.status} /> <strong>{check.name}</strong>
        </div>
        <div>{check.message}</div>
        <div className="muted small">
          last run <time dateTime={check.lastChecked}>{ago(check.lastChecked)}</time>
        </div>
        {check.details && (
          <details>
            <summary>Details</summary>
            <pre className="pre pre-small">{check.details}</pre>
          </details>
        )}
        <Note {...action.outcome} />
      </div>
      <button type="button" className="btn" onClick={() => action.run(async () => onRan(await api.security.run(check.id)))} disabled={action.busy} aria-label={`Run check: ${check.name}`}>
        {action.busy ? "Running…" : "Run"}
      </button>
    </li>
  );
}

/** Checks run longer ago than this are run again when the page opens. */
const STALE_MS = 60_000;

/** Runs the checks that are stale once they are loaded; answers how many are still running. */
function useRefreshStale(list: SecurityCheck[] | undefined, ran: (c: SecurityCheck) => void): number {
  const [pending, setPending] = useState(0);
  const started = useRef(false);
  useEffect(() => {
    if (!list || started.current) return;
    started.current = true;
    const stale = list.filter((c) => Date.now() - Date.parse(c.lastChecked) > STALE_MS);
    setPending(stale.length);
    // One after another: the checks read the same files and database. A failed run keeps the old result.
    void (async () => {
      for (const c of stale) {
        await api.security.run(c.id).then(ran, () => undefined);
        setPending((n) => n - 1);
      }
    })();
  }, [list]);
  return pending;
}

export function SecurityPage() {
  const checks = useApi(() => api.security.checks(), []);
  const posture = useApi(() => api.security.posture(), []);
  const ran = (c: SecurityCheck) => {
    checks.update((list) => list?.map((x) => (x.id === c.id ? c : x)));
    posture.reload();
  };
  const refreshing = useRefreshStale(checks.data, ran);
  const s = posture.data;
  return (
    <Page title="Security">
      {refreshing > 0 && (
        <p className="muted small" role="status">
          Running {refreshing} check{refreshing > 1 ? "s" : ""} again: {refreshing > 1 ? "their" : "its"} last run is over a minute old.
        </p>
      )}
      <div className="kpis">
        <Kpi label="Posture" value={s ? `${Math.round(s.score)}%` : "–"} sub={s ? `${count(s.passed)} of ${count(s.total)} checks pass` : undefined} tone={s ? (s.failed ? "danger" : "ok") : undefined} />
        <Kpi label="Failing" value={count(s?.failed)} tone={s?.failed ? "danger" : undefined} />
        <Kpi label="Warnings" value={count(checks.data?.filter((c) => c.status === "warning").length)} tone={checks.data?.some((c) => c.status === "warning") ? "warn" : undefined} />
      </div>
      <Panel title="Checks" wide>
        <Load of={checks} empty={<Empty title="No checks have run yet.">They run at start-up and on the `jobs.security_checks_cron` schedule.</Empty>}>
          {(list) => (
            <ul className="checks">
              {list.map((c) => (
                <CheckRow key={c.id} check={c} onRan={ran} />
              ))}
            </ul>
          )}
        </Load>
      </Panel>
    </Page>
  );
}
