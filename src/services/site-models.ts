/**
 * A hub's site models, one per site its agents serve (hub.site on each agent; "" the default site).
 * The default site's model is the hub's own (detect.model_dir), trained on its own sources and on
 * the agents of no named site; a named site's lives in `<model_dir>/sites/<site>/` and is trained on
 * the traffic of that site's agents only. An agent is of the site it last reported.
 */
import { join } from "node:path";
import { eq, ne } from "drizzle-orm";
import type { Store } from "../store/db.ts";
import { agents } from "../store/schema.ts";

/** Whose traffic a site model learns from: some agents (a named site), or all but some (the default site, with the hub's own rows). */
export type TrafficOf = { agents: string[] } | { allBut: string[] };

export function siteModelDir(modelDir: string, site: string): string {
  return site ? join(modelDir, "sites", site) : modelDir;
}

/** The site an agent last reported; "" (the default) for one that never did. */
export function siteOfAgent(store: Store, agent: string): string {
  return store.db.select({ site: agents.site }).from(agents).where(eq(agents.name, agent)).get()?.site ?? "";
}

/** Each named site with its agents, and the traffic the default site learns from. */
export function siteTraffic(store: Store): { named: Map<string, { agents: string[] }>; defaultSite: TrafficOf } {
  const rows = store.db.select({ name: agents.name, site: agents.site }).from(agents).where(ne(agents.site, "")).all();
  const named = new Map([...Map.groupBy(rows, (r) => r.site)].map(([site, of]) => [site, { agents: of.map((r) => r.name) }]));
  return { named, defaultSite: { allBut: rows.map((r) => r.name) } };
}
