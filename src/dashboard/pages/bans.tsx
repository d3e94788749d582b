/**
 * Bans: the deny list's decisions (like `cscli decisions list`) — who, why, until when, automatic or
 * by hand, simulated or enforced — with "lift now" on each, and a form to ban an address by hand.
 */
import { useState, type FormEvent } from "react";
import { api } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { useAction } from "../lib/use-action.ts";
import { useApi } from "../lib/use-api.ts";
import type { Decision } from "../lib/types.ts";
import { Badge } from "../components/badge.tsx";
import { LiftButton } from "../components/ban-control.tsx";
import { SelectField } from "../components/select-field.tsx";
import { Page, Panel } from "../components/page.tsx";
import { Empty, Load, Note } from "../components/states.tsx";

const DURATIONS = [
  ["1h", "1 hour"],
  ["24h", "1 day"],
  ["7d", "7 days"],
  ["0", "until lifted"],
] as const;

const SOURCE_LABELS: Record<Decision["source"], string> = { auto: "automatic", manual: "by hand", hub: "from the hub" };

function DecisionRow({ decision, onLifted }: { decision: Decision; onLifted: () => void }) {
  const action = useAction();
  return (
    <li className="key-row" data-decision={decision.ip}>
      <div>
        <strong className="mono">{decision.ip}</strong> <Badge value={decision.source === "auto" ? "warning" : "info"} label={SOURCE_LABELS[decision.source]} />{" "}
        {decision.simulated && <Badge value="dismissed" label="simulated: not written" />}
        <div>{decision.reason}</div>
        <div className="muted small">
          since <time dateTime={decision.createdAt}>{ago(decision.createdAt)}</time> · {decision.expiresAt ? <>until <time dateTime={decision.expiresAt}>{new Date(decision.expiresAt).toLocaleString()}</time></> : "until lifted"}
        </div>
        <Note {...action.outcome} />
      </div>
      <LiftButton ip={decision.ip} action={action} onLifted={onLifted} />
    </li>
  );
}

export function BansPage() {
  const decisions = useApi(() => api.decisions.list(), []);
  const [ip, setIp] = useState("");
  const [duration, setDuration] = useState<string>("24h");
  const [reason, setReason] = useState("");
  const action = useAction();
  const add = (e: FormEvent) => {
    e.preventDefault();
    void action
      .run(async () => {
        await api.decisions.add({ ip: ip.trim(), duration, ...(reason.trim() ? { reason: reason.trim() } : {}) });
        setIp("");
        setReason("");
      })
      .then(decisions.reload);
  };
  return (
    <Page title="Bans">
      <Panel title="Decisions">
        <Load of={decisions} empty={<Empty title="Nobody is banned.">With ban.enabled, sources that cross the threat threshold are banned here and in nginx's deny file.</Empty>}>
          {(list) => (
            <ul className="list" aria-label="Ban decisions">
              {list.map((d) => (
                <DecisionRow key={d.ip} decision={d} onLifted={decisions.reload} />
              ))}
            </ul>
          )}
        </Load>
      </Panel>
      <Panel title="Ban an address">
        <form onSubmit={add} className="toolbar" aria-label="Ban an address">
          <label className="field">
            <span>Address</span>
            <input type="text" value={ip} onChange={(e) => setIp(e.target.value)} maxLength={64} placeholder="203.0.113.7" />
          </label>
          <SelectField label="For" value={duration} options={DURATIONS} onChange={setDuration} />
          <label className="field">
            <span>Reason</span>
            <input type="text" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} placeholder="banned by hand from the console" />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!ip.trim()}>
            Ban
          </button>
        </form>
        <Note {...action.outcome} />
      </Panel>
    </Page>
  );
}
