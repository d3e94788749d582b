/**
 * Ban an address from where it is seen (top attackers, its profile page), or lift the ban covering
 * it, through the same decisions API as the Bans page. A one-click ban lasts a day: long enough to
 * stop a campaign, short enough that a mistake heals on its own.
 */
import { api } from "../lib/api.ts";
import { useAction } from "../lib/use-action.ts";
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

export function BanControl({ ip, ban, reason, onChanged }: Props) {
  const action = useAction();
  const banNow = () => void action.run(() => api.decisions.add({ ip, duration: ONE_CLICK_BAN, reason }).then(onChanged));
  const lift = () => {
    if (!ban || !confirm(`Lift the ban on ${ban.ip} now?`)) return;
    void action.run(() => api.decisions.lift(ban.ip).then(onChanged));
  };
  return (
    <span className="ban-control">
      {ban ? (
        <>
          <Badge value={ban.simulated ? "dismissed" : "blocked"} label={`${ban.simulated ? "would be banned" : "banned"}${ban.ip === ip ? "" : ` as ${ban.ip}`}`} />{" "}
          <button type="button" className="btn btn-small" onClick={lift} disabled={action.busy} aria-label={`Lift the ban on ${ban.ip}`}>
            Lift now
          </button>
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
