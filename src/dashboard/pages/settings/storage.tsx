/** Retention limits and the alert webhook: saved in Moat's database, applied at once, overriding the config file. */
import { useEffect, useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { useAction } from "../../lib/use-action.ts";
import { useApi } from "../../lib/use-api.ts";
import type { ConsoleSettings } from "../../lib/types.ts";
import { Load, Note } from "../../components/states.tsx";

const RETENTION_LABELS: Record<string, string> = {
  traffic_rows: "Benign requests kept",
  max_age_days: "Days kept",
  max_db_mb: "Database size limit (MB)",
};

function Forms({ settings, reload }: { settings: ConsoleSettings; reload: () => void }) {
  const [retention, setRetention] = useState<Record<string, string>>({});
  const [webhook, setWebhook] = useState("");
  const retentionSave = useAction();
  const webhookSave = useAction();
  useEffect(() => setRetention(Object.fromEntries(Object.entries(settings.retention).map(([k, v]) => [k, String(v)]))), [settings]);

  const saveRetention = (e: FormEvent) => {
    e.preventDefault();
    void retentionSave.run(async () => {
      const change = Object.fromEntries(Object.entries(retention).filter(([k, v]) => Number(v) !== (settings.retention as Record<string, number>)[k]).map(([k, v]) => [k, Number(v)]));
      if (!Object.keys(change).length) return "Nothing changed.";
      await api.settings.retention(change);
      reload();
      return "Saved; applied from the next retention run.";
    });
  };
  const saveWebhook = (url: string) =>
    webhookSave.run(async () => {
      await api.settings.webhook(url);
      setWebhook("");
      reload();
      return url ? "Saved: alerts are posted to it." : "The webhook is off.";
    });
  return (
    <div className="stack">
      <form onSubmit={saveRetention} className="stack" aria-label="Retention">
        <h3>Retention</h3>
        {Object.keys(retention).map((k) => (
          <label key={k} className="field">
            <span>{RETENTION_LABELS[k] ?? k}</span>
            <input type="number" min={1} step={1} value={retention[k]} onChange={(e) => setRetention({ ...retention, [k]: e.target.value })} />
          </label>
        ))}
        <Note {...retentionSave.outcome} />
        <button type="submit" className="btn btn-primary">
          Save retention
        </button>
      </form>
      <form
        className="stack"
        aria-label="Webhook"
        onSubmit={(e) => {
          e.preventDefault();
          void saveWebhook(webhook.trim());
        }}
      >
        <h3>Alert webhook</h3>
        <p className="muted small">{settings.webhook.configured ? <>Alerts are posted to <span className="mono">{settings.webhook.url}</span>… (the rest of the URL is kept secret).</> : "No webhook: alerts are only shown here."}</p>
        <label className="field">
          <span>New URL</span>
          <input type="url" value={webhook} onChange={(e) => setWebhook(e.target.value)} placeholder="https://hooks.slack.com/services/…" />
        </label>
        <Note {...webhookSave.outcome} />
        <div className="toolbar">
          <button type="submit" className="btn btn-primary" disabled={!webhook.trim()}>
            Save webhook
          </button>
          {settings.webhook.configured && (
            <button type="button" className="btn" onClick={() => void saveWebhook("")}>
              Turn off
            </button>
          )}
        </div>
      </form>
      <p className="muted small">
        API on {settings.server.host}:{settings.server.port}; API keys required: {settings.server.requireApiKey === "always" ? "always" : "beyond loopback"}.
      </p>
    </div>
  );
}

export function StorageSettings() {
  const settings = useApi(() => api.settings.get(), []);
  return <Load of={settings}>{(s) => <Forms settings={s} reload={settings.reload} />}</Load>;
}
