/**
 * Ban an address from where it is seen (top attackers, its profile page), or lift the ban covering
 * it, through the same decisions API as the Bans page. A one-click ban lasts a day: long enough to
 * stop a campaign, short enough that a mistake heals on its own.
 */
import { api } from "../lib/api.ts";
import { useAction, type Action } from "../lib/use-action.ts";
import type { Decision } from "../lib/types.ts";
import { Badge } from "./badge.tsx";
import { Note } from "./states.tsx";

const ONE_CLICK_BAN = "24h";

interface Props {
  ip: string;
  /** The active ban of the address or of its network, or null. */
  ban: Decision | null;
  /** Why, in the decision's words. */
  reason: string;
  onChanged: () => void;
}

/** "Lift now" on a decision, asked for confirmation; its outcome shows in `action`'s note. Here and on the Bans page. */
export function LiftButton({ ip, action, onLifted }: { ip: string; action: Action; onLifted: () => void }) {
  const lift = () => {
    if (!confirm(`Lift the ban on ${ip} now?`)) return;
    void action.run(() => api.decisions.lift(ip).then(onLifted));
  };
  return (
    <button type="button" className="btn btn-small" onClick={lift} disabled={action.busy} aria-label={`Lift the ban on ${ip}`}>
      Lift now
    </button>
  );
}

export function BanControl({ ip, ban, reason, onChanged }: Props) {
  const action = useAction();
  const banNow = () => void action.run(() => api.decisions.add({ ip, duration: ONE_CLICK_BAN, reason }).then(onChanged));
  return (
    <span className="ban-control">
      {ban ? (
        <>
          <Badge value={ban.simulated ? "dismissed" : "blocked"} label={`${ban.simulated ? "would be banned" : "banned"}${ban.ip === ip ? "" : ` as ${ban.ip}`}`} />{" "}
          <LiftButton ip={ban.ip} action={action} onLifted={onChanged} />
        </>
      ) : (
        <button type="button" className="btn btn-small btn-danger" onClick={banNow} disabled={action.busy} aria-label={`Ban ${ip} for 24 hours`}>
          Ban 24 h
        </button>
      )}
      <Note {...action.outcome} />
    </span>
  );
}
