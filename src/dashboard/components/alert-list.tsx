/**
 * Alerts with their actions (acknowledge, dismiss), optionally selectable for bulk actions. The
 * actions offered are the ones the API lists for each alert.
 */
import { useState } from "react";
import { api } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { href } from "../lib/router.ts";
import { useAction } from "../lib/use-action.ts";
import type { Alert } from "../lib/types.ts";
import { Badge } from "./badge.tsx";
import { Note } from "./states.tsx";

type Action = "acknowledge" | "dismiss";
/** The actions this list offers, in order, with their buttons' words. */
const ACTIONS: { action: Action; label: string }[] = [
  { action: "acknowledge", label: "Acknowledge" },
  { action: "dismiss", label: "Dismiss" },
];

async function apply(action: Action, ids: number[]): Promise<void> {
  // One call per alert: the contract has no bulk endpoint; failures are reported together.
  const results = await Promise.allSettled(ids.map((id) => api.alerts[action](id)));
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length) throw new Error(`${failed.length} of ${ids.length} alerts could not be changed: ${(failed[0] as PromiseRejectedResult).reason?.message ?? "error"}`);
}

/** Keeps an active alert list in step with the socket: new ones in, dismissed and resolved ones out. */
export function mergeAlert(list: Alert[] | undefined, a: Alert): Alert[] {
  const rest = (list ?? []).filter((x) => x.id !== a.id);
  return a.status === "active" || a.status === "acknowledged" ? [a, ...rest] : rest;
}

export function AlertList({ alerts, onChanged, selectable = false }: { alerts: Alert[]; onChanged: () => void; selectable?: boolean }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const change = useAction();
  const { busy } = change;
  const run = (action: Action, ids: number[]) =>
    change
      .run(async () => {
        await apply(action, ids);
        setSelected(new Set());
      })
      .then(onChanged);
  const toggle = (id: number) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const chosen = alerts.filter((a) => selected.has(a.id));
  const can = (action: Action) => chosen.filter((a) => a.actions.includes(action)).map((a) => a.id);
  return (
    <div>
      {selectable && (
        <div className="toolbar" role="group" aria-label="Bulk actions">
          <label className="check">
            <input type="checkbox" checked={alerts.length > 0 && chosen.length === alerts.length} onChange={(e) => setSelected(e.target.checked ? new Set(alerts.map((a) => a.id)) : new Set())} />
            Select all
          </label>
          {ACTIONS.map(({ action, label }) => (
            <button key={action} type="button" className="btn" disabled={busy || can(action).length === 0} onClick={() => run(action, can(action))}>
              {label} selected ({can(action).length})
            </button>
          ))}
        </div>
      )}
      <Note {...change.outcome} />
      <ul className="alerts">
        {alerts.map((a) => (
          <li key={a.id} className={`alert alert-${a.type}`} data-alert-id={a.id}>
            {selectable && <input type="checkbox" aria-label={`Select alert ${a.id}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} />}
            <div className="alert-body">
              <div className="alert-title">
                <Badge value={a.severity} />
                <strong>{a.title}</strong>
                {a.count > 1 && <span className="muted">×{a.count}</span>}
              </div>
              <div className="alert-desc">{a.description}</div>
              <a className="small" href={href(`/incidents/${a.id}`)} aria-label={`Details of alert ${a.id}: ${a.title}`}>
                details
              </a>
              <div className="muted small">
                {a.source} · {ago(a.timestamp)} · <Badge value={a.status} />
              </div>
            </div>
            <div className="alert-actions">
              {ACTIONS.filter(({ action }) => a.actions.includes(action)).map(({ action, label }) => (
                <button key={action} type="button" className="btn btn-small" disabled={busy} onClick={() => run(action, [a.id])} aria-label={`${label} alert ${a.id}: ${a.title}`}>
                  {label}
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
