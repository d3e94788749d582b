/** Detect-only or block mode, and the threshold (0 puts back the model's calibrated one). */
import { useEffect, useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { decimal } from "../../lib/format.ts";
import { useApi } from "../../lib/use-api.ts";
import type { Mode, WafConfig } from "../../lib/types.ts";
import { Load, Note } from "../../components/states.tsx";

function Form({ config, onSaved }: { config: WafConfig; onSaved: (c: WafConfig) => void }) {
  const [mode, setMode] = useState<Mode>(config.mode);
  const [threshold, setThreshold] = useState(String(config.threshold));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setMode(config.mode);
    setThreshold(String(config.threshold));
  }, [config]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = Number(threshold);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      setMessage({ ok: false, text: "The threshold is a number from 0 to 1 (0: the model's calibrated threshold)." });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const saved = await api.waf.setConfig({ mode, threshold: value });
      onSaved(saved);
      setMessage({ ok: true, text: `Saved: ${saved.mode === "block" ? "block" : "detect-only"} mode, threshold ${decimal(saved.threshold, 4)}.` });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
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
        Requests scoring at or above it are flagged. The model's calibrated threshold is {decimal(config.calibrated_threshold, 4)}; 0 puts it back.
      </p>
      <Note ok={message?.ok} text={message?.text} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Saving…" : "Save"}
      </button>
    </form>
  );
}

export function DetectionSettings() {
  const config = useApi(() => api.waf.config(), []);
  return <Load of={config}>{(c) => <Form config={c} onSaved={(saved) => config.update(() => saved)} />}</Load>;
}
