/** Shown when the API requires credentials: logging in with an API key sets an HttpOnly session cookie. */
import { useState, type FormEvent } from "react";
import { api } from "../lib/api.ts";
import { useAction } from "../lib/use-action.ts";
import { Note } from "./states.tsx";

export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [key, setKey] = useState("");
  const login = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void login.run(async () => {
      await api.auth.login(key.trim());
      onLoggedIn();
    });
  };
  return (
    <main className="login" id="main">
      <form className="panel login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Moat</h1>
        <p className="muted">This Moat requires an API key. Create one on the server with <code>moat apikey create &lt;name&gt;</code>.</p>
        <label htmlFor="login-key">API key</label>
        <input id="login-key" type="password" autoComplete="current-password" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        <Note {...login.outcome} />
        <button type="submit" className="btn btn-primary" disabled={login.busy || !key.trim()}>
          {login.busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
