/** Alerts: the active ones (live) and the history of the range, both with bulk actions. */
import { useState } from "react";
import { api } from "../lib/api.ts";
import { useLive } from "../lib/live.ts";
import { useApi } from "../lib/use-api.ts";
import type { Alert, Range } from "../lib/types.ts";
import { AlertList, mergeAlert } from "../components/alert-list.tsx";
import { Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";

export function AlertsPage({ range }: { range: Range }) {
  const [tab, setTab] = useState<"active" | "history">("active");
  const active = useApi(() => api.alerts.active(), []);
  const history = useApi(() => api.alerts.history(range), [range]);
  useLive("alert", (a: Alert) => {
    active.update((list) => mergeAlert(list, a));
    history.update((list) => (list ? [a, ...list.filter((x) => x.id !== a.id)] : list));
  });
  const changed = () => {
    active.reload();
    history.reload();
  };
  return (
    <Page title="Alerts">
      <div className="tabs" role="tablist" aria-label="Alerts">
        <button type="button" role="tab" id="tab-active" aria-selected={tab === "active"} aria-controls="panel-alerts" className={tab === "active" ? "tab tab-on" : "tab"} onClick={() => setTab("active")}>
          Active {active.data ? `(${active.data.length})` : ""}
        </button>
        <button type="button" role="tab" id="tab-history" aria-selected={tab === "history"} aria-controls="panel-alerts" className={tab === "history" ? "tab tab-on" : "tab"} onClick={() => setTab("history")}>
          History ({range})
        </button>
      </div>
      <div id="panel-alerts" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "active" ? (
          <Panel title="Active alerts" wide>
            <Load of={active} empty={<Empty title="No active alerts.">Nothing needs you right now. Acknowledged alerts stay here until dismissed or resolved.</Empty>}>
              {(list) => <AlertList alerts={list} onChanged={changed} selectable />}
            </Load>
          </Panel>
        ) : (
          <Panel title={`Alerts in the last ${range}`} wide>
            <Load of={history} empty={<Empty title="No alerts in this range." />}>
              {(list) => <AlertList alerts={list} onChanged={changed} selectable />}
            </Load>
          </Panel>
        )}
      </div>
    </Page>
  );
}
