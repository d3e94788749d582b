/** Loading, error and empty states: every list says what is happening and, when empty, what to do next. */
import type { ReactNode } from "react";
import type { Loaded } from "../lib/use-api.ts";
import type { Outcome } from "../lib/use-action.ts";

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

export function ErrorNote({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="note note-error" role="alert">
      <span>{error.message}</span>
      {retry && (
        <button type="button" className="btn btn-small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** What an action did (`useAction`): a status when it worked, an alert (read out at once) when it did not; nothing without text. */
export function Note({ ok, text }: Outcome) {
  if (!text) return null;
  return (
    <p className={ok ? "note note-ok" : "note note-error"} role={ok ? "status" : "alert"}>
      {text}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <p className="muted">{children}</p>}
    </div>
  );
}

/**
 * Renders `children(data)` once loaded; the spinner before the first answer; the error (keeping the
 * last data, if any); `empty` when `isEmpty(data)`.
 */
export function Load<T>({ of, empty, isEmpty, children }: { of: Loaded<T>; empty?: ReactNode; isEmpty?: (data: T) => boolean; children: (data: T) => ReactNode }) {
  const { data, error, reload } = of;
  if (data === undefined) return error ? <ErrorNote error={error} retry={reload} /> : <Spinner />;
  const blank = isEmpty ? isEmpty(data) : Array.isArray(data) && data.length === 0;
  return (
    <>
      {error && <ErrorNote error={error} retry={reload} />}
      {blank && empty ? empty : children(data)}
    </>
  );
}
