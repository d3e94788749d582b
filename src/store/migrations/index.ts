/**
 * The migrations drizzle-kit generated, embedded (as text) so that the single binary carries them.
 * Add a line here for each new SQL file: a test checks that this list matches the journal.
 */
import journal from "./meta/_journal.json" with { type: "json" };
import m0000 from "./0000_high_masque.sql" with { type: "text" };
import m0001 from "./0001_strong_toad.sql" with { type: "text" };
import m0002 from "./0002_outgoing_living_tribunal.sql" with { type: "text" };
import m0003 from "./0003_watery_veda.sql" with { type: "text" };
import m0004 from "./0004_mirror_join.sql" with { type: "text" };
import m0005 from "./0005_simulated_bans.sql" with { type: "text" };
import m0006 from "./0006_incidents.sql" with { type: "text" };
import m0007 from "./0007_host_and_acknowledged.sql" with { type: "text" };
import m0008 from "./0008_traffic_ip_time.sql" with { type: "text" };
import m0009 from "./0009_agents_and_hub.sql" with { type: "text" };
import m0010 from "./0010_rollups_per_agent.sql" with { type: "text" };
import m0011 from "./0011_agent_sites.sql" with { type: "text" };

export const JOURNAL = journal;
export const MIGRATION_SQL: Record<string, string> = {
  "0000_high_masque": m0000,
  "0001_strong_toad": m0001,
  "0002_outgoing_living_tribunal": m0002,
  "0003_watery_veda": m0003,
  "0004_mirror_join": m0004,
  "0005_simulated_bans": m0005,
  "0006_incidents": m0006,
  "0007_host_and_acknowledged": m0007,
  "0008_traffic_ip_time": m0008,
  "0009_agents_and_hub": m0009,
  "0010_rollups_per_agent": m0010,
  "0011_agent_sites": m0011,
};
