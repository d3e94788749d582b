/** Shown when the API requires credentials: logging in with an API key sets an HttpOnly session cookie. */
import { useState, type FormEvent } from "react";
import { api } from "../lib/api.ts";
import { Note } from "./states.tsx";

export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await api.auth.login(key.trim());
      onLoggedIn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form className="panel login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Moat</h1>
        <p className="muted">This Moat requires an API key. Create one on the server with <code>moat apikey create &lt;name&gt;</code>.</p>
        <label htmlFor="login-key">API key</label>
        <input id="login-key" type="password" autoComplete="current-password" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        <Note text={error} />
        <button type="submit" className="btn btn-primary" disabled={busy || !key.trim()}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
