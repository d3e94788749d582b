/** Filters kept in the link (so that a drill-down can be shared or reloaded); applied on submit. */
import { useEffect, useState, type FormEvent } from "react";
import { setQuery } from "../lib/router.ts";
import type { LocalAgent } from "../../core/enums.ts";

export interface FilterField {
  name: string;
  label: string;
  /** A select with these options ("" is "any"); a text input without. */
  options?: string[];
  placeholder?: string;
  inputMode?: "numeric" | "text";
}

/** The server's word for this Moat's own rows (src/core/enums.ts). */
const LOCAL: LocalAgent = "local";

/** On a hub: what one agent judged (LOCAL: this Moat's own sources). Every list that rows from agents reach has it. */
export const AGENT_FIELD: FilterField = { name: "agent", label: "Agent", placeholder: `web-1 or ${LOCAL}` };

/** The server's agent filter, for live rows (rows of this Moat's own sources carry no agent). */
export function agentMatches(row: { agent?: string }, agent: string | undefined): boolean {
  return !agent || (row.agent ?? LOCAL) === agent;
}

export function FilterBar({ fields, query }: { fields: FilterField[]; query: URLSearchParams }) {
  const fromQuery = () => Object.fromEntries(fields.map((f) => [f.name, query.get(f.name) ?? ""]));
  const [values, setValues] = useState<Record<string, string>>(fromQuery);
  const key = fields.map((f) => query.get(f.name) ?? "").join("\u0000");
  // The link changed (a drill-down, the back button): show its filters.
  useEffect(() => setValues(fromQuery()), [key]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery(Object.fromEntries(fields.map((f) => [f.name, values[f.name]?.trim() ?? ""])));
  };
  const clear = () => setQuery(Object.fromEntries(fields.map((f) => [f.name, undefined])));
  const active = fields.some((f) => query.get(f.name));
  return (
    <form className="filters" onSubmit={submit} role="search" aria-label="Filters">
      {fields.map((f) => (
        <label key={f.name} className="filter">
          <span>{f.label}</span>
          {f.options ? (
            <select value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}>
              {["", ...f.options].map((o) => (
                <option key={o} value={o}>
                  {o || "any"}
                </option>
              ))}
            </select>
          ) : (
            <input type="text" name={f.name} value={values[f.name] ?? ""} placeholder={f.placeholder} inputMode={f.inputMode} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
          )}
        </label>
      ))}
      <button type="submit" className="btn btn-primary">
        Apply
      </button>
      {active && (
        <button type="button" className="btn" onClick={clear}>
          Clear
        </button>
      )}
    </form>
  );
}
