/** The first-run state: no requests yet, and what to do about it, from what Moat is actually following. */
import { api } from "../lib/api.ts";
import { useApi } from "../lib/use-api.ts";

export function NoTraffic() {
  const sources = useApi(() => api.sources(), []);
  const list = sources.data ?? [];
  return (
    <div className="note note-info" role="status">
      {list.length === 0 ? (
        <span>
          No traffic yet: point <code>moat serve --log /var/log/nginx/access.log</code> at your access log, or send requests to <code>POST /check</code>.
        </span>
      ) : (
        <span>
          No traffic yet. Moat follows {list.map((s) => s.path).join(", ")}
          {list.some((s) => !s.alive) ? " — some of these files do not exist yet or cannot be read (see Settings → Log sources)." : ": send a request to your site and it will show up here within a second."}
        </span>
      )}
    </div>
  );
}
