/** Detect-only or block mode, and the threshold (0 puts back the model's calibrated one). */
import { useEffect, useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { score } from "../../lib/format.ts";
import { useAction } from "../../lib/use-action.ts";
import { useApi } from "../../lib/use-api.ts";
import type { Mode, WafConfig } from "../../lib/types.ts";
import { Load, Note } from "../../components/states.tsx";

function Form({ config, onSaved }: { config: WafConfig; onSaved: (c: WafConfig) => void }) {
  const [mode, setMode] = useState<Mode>(config.mode);
  // Shown rounded; saved as it is unless the operator typed another value.
  const [threshold, setThreshold] = useState(score(config.threshold));
  const save = useAction();
  useEffect(() => {
    setMode(config.mode);
    setThreshold(score(config.threshold));
  }, [config]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(async () => {
      const value = threshold === score(config.threshold) ? config.threshold : Number(threshold);
      if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error("The threshold is a number from 0 to 1 (0: the model's calibrated threshold).");
      const saved = await api.waf.setConfig({ mode, threshold: value });
      onSaved(saved);
      return `Saved: ${saved.mode === "block" ? "block" : "detect-only"} mode, threshold ${score(saved.threshold)}.`;
    });
  };
  return (
    <form onSubmit={submit} className="stack" aria-label="Detection settings">
      <fieldset>
        <legend>Mode</legend>
        <label className="check">
          <input type="radio" name="mode" value="detect" checked={mode === "detect"} onChange={() => setMode("detect")} />
          <span>Detect only: flag and alert, never refuse a request</span>
        </label>
        <label className="check">
          <input type="radio" name="mode" value="block" checked={mode === "block"} onChange={() => setMode("block")} />
          <span>
            Block: inline checks (<code>/check</code>, nginx <code>auth_request</code>) answer 403 for flagged requests
          </span>
        </label>
      </fieldset>
      <label htmlFor="threshold">Threshold</label>
      <input id="threshold" type="number" min={0} max={1} step="any" value={threshold} onChange={(e) => setThreshold(e.target.value)} aria-describedby="threshold-help" />
      <p id="threshold-help" className="muted small">
        Requests scoring at or above it are flagged. The model's calibrated threshold is {score(config.calibrated_threshold)}; 0 puts it back.
      </p>
      <Note {...save.outcome} />
      <button type="submit" className="btn btn-primary" disabled={save.busy}>
        {save.busy ? "Saving…" : "Save"}
      </button>
    </form>
  );
}

export function DetectionSettings() {
  const config = useApi(() => api.waf.config(), []);
  return <Load of={config}>{(c) => <Form config={c} onSaved={(saved) => config.update(() => saved)} />}</Load>;
}
