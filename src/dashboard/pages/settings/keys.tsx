/** API keys: list, create (the key is shown once) and revoke. */
import { useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { ago } from "../../lib/format.ts";
import { useAction } from "../../lib/use-action.ts";
import { useApi } from "../../lib/use-api.ts";
import type { ApiKey } from "../../lib/types.ts";
import { Badge } from "../../components/badge.tsx";
import { Empty, Load, Note } from "../../components/states.tsx";

export function KeySettings() {
  const keys = useApi(() => api.keys.list(), []);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKey | null>(null);
  const action = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      setCreated(await api.keys.create(name.trim()));
      setName("");
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
                  <strong>{k.name}</strong> <span className="mono muted">{k.prefix}…</span> {k.revokedAt && <Badge value="dismissed" label="revoked" />}
                  <div className="muted small">
                    created {ago(k.createdAt)} · last used {k.lastUsedAt ? ago(k.lastUsedAt) : "never"}
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
        <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
          Create key
        </button>
      </form>
      <Note {...action.outcome} />
    </div>
  );
}
