/**
 * Marking a false positive: an allowlist rule for this endpoint (and field, or the whole endpoint)
 * and attack type, and the request joins the benign training data. The API does both.
 */
import { useState, type FormEvent } from "react";
import { api } from "../lib/api.ts";
import { useAction } from "../lib/use-action.ts";
import type { AllowRule, ThreatDetail } from "../lib/types.ts";
import { Note } from "./states.tsx";

export function FalsePositive({ threat }: { threat: ThreatDetail }) {
  const [scope, setScope] = useState<"field" | "endpoint">("field");
  const [note, setNote] = useState("");
  const [rule, setRule] = useState<AllowRule | null>(null);
  const save = useAction();
  const field = threat.reasons[0]?.field;
  if (rule || threat.falsePositive) {
    return (
      <p className="note note-ok" role="status">
        {rule
          ? `Allowlist rule #${rule.id} added: ${rule.attackType ?? "any attack"} on ${rule.endpoint}${rule.field ? ` in ${rule.field}` : ""} is no longer flagged, and this request was added to the benign training data.`
          : "An allowlist rule already covers this request."}
      </p>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(async () => setRule(await api.threats.falsePositive(threat.id, scope, note.trim())));
  };
  return (
    <form onSubmit={submit} className="stack">
      <fieldset>
        <legend>Stop flagging {threat.attackType} on this endpoint</legend>
        <label className="check">
          <input type="radio" name="fp-scope" value="field" checked={scope === "field"} onChange={() => setScope("field")} disabled={!field} />
          <span>
            only in <code>{field ?? "its field"}</code>
          </span>
        </label>
        <label className="check">
          <input type="radio" name="fp-scope" value="endpoint" checked={scope === "endpoint"} onChange={() => setScope("endpoint")} />
          <span>
            anywhere on <code>{threat.endpoint}</code>
          </span>
        </label>
      </fieldset>
      <label htmlFor="fp-note">Note (optional)</label>
      <input id="fp-note" type="text" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} placeholder="why this is legitimate" />
      <Note {...save.outcome} />
      <button type="submit" className="btn btn-primary" disabled={save.busy}>
        {save.busy ? "Saving…" : "Mark as false positive"}
      </button>
    </form>
  );
}
