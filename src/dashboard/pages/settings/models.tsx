/**
 * Model versions: the bundled generic model, the live site model, replaced ones (rollback) and
 * rejected candidates; train now, promote, roll back; and the last evaluation report.
 */
import { PlainTable, ACTIONS_HEADER } from "../../components/table.tsx";
import { api } from "../../lib/api.ts";
import { useAction } from "../../lib/use-action.ts";
import { clock } from "../../lib/format.ts";
import { useApi } from "../../lib/use-api.ts";
import type { ModelVersion } from "../../lib/types.ts";
import { Badge } from "../../components/badge.tsx";
import { Markdown } from "../../components/markdown.tsx";
import { Empty, Load, Note } from "../../components/states.tsx";

const STATE_BADGE: Record<ModelVersion["state"], string> = { live: "pass", bundled: "info", replaced: "resolved", rejected: "fail" };

function metricsText(m: ModelVersion["metrics"]): string {
  return Object.entries(m)
    .slice(0, 6)
    .map(([k, v]) => `${k} ${typeof v === "number" ? Math.round(v * 10_000) / 10_000 : v}`)
    .join(" · ");
}

export function ModelSettings() {
  const models = useApi(() => api.models.list(), []);
  const action = useAction();
  const { busy } = action;
  const act = (what: () => Promise<unknown>, done: string) =>
    action
      .run(async () => {
        await what();
        return done;
      })
      .then(models.reload);
  const report = models.data?.find((m) => m.active && m.kind === "site" && m.evaluation) ?? models.data?.find((m) => m.evaluation);
  return (
    <div className="stack">
      <div className="toolbar">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => act(api.models.train, "Retraining started on the recent benign traffic; the outcome shows up in the activity feed.")}>
          Train now
        </button>
        <button type="button" className="btn" disabled={busy || !models.data?.some((m) => m.state === "replaced")} onClick={() => act(api.models.rollback, "Rolled back to the previous site model.")}>
          Roll back
        </button>
      </div>
      <Note {...action.outcome} />
      <Load of={models} empty={<Empty title="No model is listed." />}>
        {(list) => (
          <PlainTable headers={["Version", "Kind", "State", "Trained", "Figures", ACTIONS_HEADER]}>
                {list.map((m) => (
                  <tr key={`${m.kind}-${m.version}-${m.state}`}>
                    <td className="mono">{m.version}</td>
                    <td>{m.kind}</td>
                    <td>
                      <Badge value={STATE_BADGE[m.state]} label={m.state} />
                    </td>
                    <td>{clock(m.createdAt)}</td>
                    <td className="small">{metricsText(m.metrics)}</td>
                    <td>
                      {m.kind === "site" && !m.active && (
                        <button type="button" className="btn btn-small" disabled={busy} onClick={() => act(() => api.models.promote(m.version), `${m.version} is live.`)}>
                          Promote
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
          </PlainTable>
        )}
      </Load>
      {models.data && !models.data.some((m) => m.kind === "site") && (
        <p className="muted small">No site model yet: Moat judges with the generic model alone until it has seen enough benign traffic to learn the site (or run <code>moat train</code>).</p>
      )}
      {report?.evaluation && (
        <details open>
          <summary>Last evaluation: {report.version}</summary>
          <Markdown source={report.evaluation} />
        </details>
      )}
    </div>
  );
}
