/** API keys: list, create (the key is shown once, with its scope and rate limit) and revoke. */
import { useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { ago } from "../../lib/format.ts";
import { useAction } from "../../lib/use-action.ts";
import { useApi } from "../../lib/use-api.ts";
import type { ApiKey, ApiKeyScope } from "../../lib/types.ts";
import { Badge } from "../../components/badge.tsx";
import { Empty, Load, Note } from "../../components/states.tsx";
import { SelectField } from "../../components/select-field.tsx";

/** Every scope the server knows (the Record makes a new one a type error here until it is described). */
const SCOPES: Record<ApiKeyScope, string> = {
  admin: "admin: everything, the dashboard included",
  check: "check: inline checks only (nginx, scripts)",
  agent: "agent: a web server reporting here",
};

/** How a key's rate limit reads. */
const rateText = (rateLimit: number | null) => (rateLimit === null ? "server's rate limit" : rateLimit === 0 ? "no rate limit" : `${rateLimit} checks/s`);

export function KeySettings() {
  const keys = useApi(() => api.keys.list(), []);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiKeyScope>("admin");
  /** Empty: the server's check_rate_limit. */
  const [rateLimit, setRateLimit] = useState("");
  const [created, setCreated] = useState<ApiKey | null>(null);
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      setCreated(await api.keys.create({ name: name.trim(), scope, rateLimit: rateLimit.trim() === "" ? null : Number(rateLimit) }));
      setName("");
      setRateLimit("");
      keys.reload();
    });
  };
  const revoke = (k: ApiKey) => {
    if (!confirm(`Revoke the key "${k.name}"? Clients using it stop working.`)) return;
    void action
      .run(async () => {
        await api.keys.revoke(k.id);
      })
      .then(keys.reload);
  };
  return (
    <div className="stack">
      <Load of={keys} empty={<Empty title="No API keys.">Without keys the API answers only on loopback; create one to log in from elsewhere or to call the API from scripts.</Empty>}>
        {(list) => (
          <ul className="list">
            {list.map((k) => (
              <li key={k.id} className="key-row">
                <div>
                  <strong>{k.name}</strong> <span className="mono muted">{k.prefix}…</span> <Badge value={k.scope === "admin" ? "warning" : "info"} label={k.scope} /> {k.revokedAt && <Badge value="dismissed" label="revoked" />}
                  <div className="muted small">
                    {rateText(k.rateLimit)} · created {ago(k.createdAt)} · last used {k.lastUsedAt ? ago(k.lastUsedAt) : "never"}
                  </div>
                </div>
                {!k.revokedAt && (
                  <button type="button" className="btn btn-small" onClick={() => revoke(k)} aria-label={`Revoke key ${k.name}`}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Load>
      {created?.key && (
        <div className="note note-ok" role="status">
          <p>New key “{created.name}”. Copy it now: it is not shown again.</p>
          <pre className="pre pre-small">
            <code>{created.key}</code>
          </pre>
        </div>
      )}
      <form onSubmit={create} className="toolbar" aria-label="Create an API key">
        <label className="field">
          <span>Name</span>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} placeholder="ci, grafana…" />
        </label>
        <SelectField label="Scope" value={scope} options={Object.entries(SCOPES) as [ApiKeyScope, string][]} onChange={setScope} />
        {/* 0 is for nginx's check key: the limit must never decide auth_request's fail mode. */}
        <label className="field">
          <span>Checks/s (empty: server's; 0: no limit)</span>
          <input type="number" min={0} step={1} value={rateLimit} onChange={(e) => setRateLimit(e.target.value)} placeholder="server's" />
        </label>
        <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
          Create key
        </button>
      </form>
      <Note {...action.outcome} />
    </div>
  );
}
