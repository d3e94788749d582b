/**
 * Prometheus counters of what is stored, since the service started: requests by verdict and threats
 * by attack type and severity. They follow the live bus, which publishes every stored row once (the
 * second half of a mirrored request merges into its row and is not published again), so they count
 * what the store counts. Label values come from Moat's own enums; anything else is "other", so that
 * no request can add a series.
 */
import { Counter } from "prom-client";
import { THREAT_SEVERITIES } from "../core/enums.ts";
import type { Bus } from "../pipeline/bus.ts";
import type { TrafficRow } from "../store/rows.ts";
import { ATTACK_CLASSES } from "../detect/classes.ts";

/** What a threat's type can be: a model's class, or "anomaly" (unusual, of no known class). */
const THREAT_TYPES: readonly string[] = [...ATTACK_CLASSES, "anomaly"];

/** clean: not flagged; flagged: flagged and let through; blocked: refused (block mode, or the deny list). */
const VERDICTS = ["clean", "flagged", "blocked"] as const;

function verdictOf(row: TrafficRow): (typeof VERDICTS)[number] {
  if (row.blocked) return "blocked";
  return row.isAnomaly ? "flagged" : "clean";
}

function bounded(value: string, known: readonly string[]): string {
  return known.includes(value) ? value : "other";
}

export class StoredCounters {
  readonly requests = new Counter({ name: "moat_requests_total", help: "Requests stored since start-up, each once, by verdict: clean, flagged (and let through), blocked (refused in block mode or by the deny list).", labelNames: ["verdict"], registers: [] });
  readonly threats = new Counter({ name: "moat_threats_total", help: "Threats (flagged requests) stored since start-up, by attack type and severity.", labelNames: ["type", "severity"], registers: [] });

  constructor(bus: Pick<Bus, "subscribe">) {
    // Every verdict from zero: a rate over a series that appears late misses its first increase.
    for (const verdict of VERDICTS) this.requests.inc({ verdict }, 0);
    bus.subscribe((e) => {
      if (e.type === "traffic") this.requests.inc({ verdict: verdictOf(e.data) });
      else if (e.type === "threat") this.threats.inc({ type: bounded(e.data.attackType, THREAT_TYPES), severity: bounded(e.data.severity, THREAT_SEVERITIES) });
    });
  }
}
