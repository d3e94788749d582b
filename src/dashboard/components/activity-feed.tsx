/** The live activity feed: the recent activities, then every new one as the socket brings it. */
import { useState } from "react";
import { api } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { useLive } from "../lib/live.ts";
import { href } from "../lib/router.ts";
import { useApi, useInterval } from "../lib/use-api.ts";
import type { Activity } from "../lib/types.ts";
import { Badge } from "./badge.tsx";
import { Empty, Load } from "./states.tsx";

const KEEP = 50;

/** A threat's verdict (only a threat is `blocked`); null for Moat's other activities. */
function verdictOf(a: Activity): "blocked" | "flagged" | null {
  return a.type === "blocked" ? "blocked" : a.kind.startsWith("threat.") ? "flagged" : null;
}

export function ActivityFeed() {
  const feed = useApi(() => api.activities(KEEP), []);
  const [, setTick] = useState(0);
  useInterval(() => setTick((t) => t + 1), 30_000); // refreshes the "n min ago" labels
  useLive("activity", (a: Activity) => feed.update((list) => [a, ...(list ?? []).filter((x) => x.id !== a.id)].slice(0, KEEP)));
  return (
    <Load of={feed} empty={<Empty title="No activity yet.">Start, stops, flagged requests and alerts show up here as they happen.</Empty>}>
      {(items) => (
        <ol className="feed" aria-live="polite" aria-label="Activity feed">
          {items.map((a) => (
            <li key={`${a.id}-${a.timestamp}`} className="feed-item">
              <Badge value={verdictOf(a) ?? "info"} label={verdictOf(a) ?? a.kind.split(".")[0]} />
              <div className="feed-text">
                <div>
                  {a.id < 0 ? <a href={href(`/threats/${-a.id}`)}>{a.title}</a> : <span>{a.title}</span>}
                  {a.ip && <span className="muted"> · {a.ip}</span>}
                  {a.endpoint && <span className="muted mono"> · {a.endpoint}</span>}
                </div>
                <div className="muted small clip">{a.details}</div>
              </div>
              <time className="muted small" dateTime={a.timestamp}>
                {ago(a.timestamp)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </Load>
  );
}
