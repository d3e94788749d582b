/** The live feed's state: live, connecting or offline (with a button to retry at once). */
import { live, useLiveState } from "../lib/live.ts";

const LABELS = { live: "Live", connecting: "Connecting…", offline: "Offline" } as const;

export function LiveIndicator() {
  const state = useLiveState();
  return (
    <div className={`live live-${state}`} role="status" aria-live="polite" data-state={state}>
      <span className="live-dot" aria-hidden="true" />
      <span>{LABELS[state]}</span>
      {state === "offline" && (
        <button type="button" className="btn btn-small" onClick={live.reconnectNow}>
          Reconnect
        </button>
      )}
    </div>
  );
}
