/** The security check of the deny list: the file lists every active ban, and nginx includes it. */
import { readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { ServiceContext } from "../../serve/context.ts";
import { bans } from "../../store/schema.ts";
import { parseNginxConfig, type NginxConfig } from "../security/nginx-config.ts";
import type { CheckResult } from "../security/checks.ts";
import { isActive } from "./rules.ts";
import { storedProblem } from "./apply.ts";

const CHECK_NAME = "Deny list is applied";

function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * When bans are enabled: the file exists and lists every active ban (a failed write — full disk,
 * unwritable directory — leaves it behind the table), and the audited nginx configuration includes it.
 * `nginxConfig`: that configuration, parsed once for a whole run of the checks (alone, it is parsed here).
 */
export async function denyListCheck(
  ctx: Pick<ServiceContext, "config" | "store" | "now">,
  nginxConfig: () => Promise<NginxConfig> = () => parseNginxConfig(ctx.config.security.nginx_conf),
): Promise<CheckResult[]> {
  const cfg = ctx.config.ban;
  if (!cfg.enabled) return [];
  const check = (status: CheckResult["status"], message: string): CheckResult[] => [{ key: "deny-list", name: CHECK_NAME, status, message }];
  const problem = storedProblem(ctx.store);
  if (problem) return check("warning", `${problem} (retried every 5 s by moat serve, and by every moat ban add|remove)`);
  let text: string;
  try {
    text = readFileSync(cfg.file, "utf8");
  } catch (e) {
    return check("warning", `cannot read the deny file ${cfg.file} (${(e as Error).message}): Moat writes it at start and after every ban; check that its directory is writable`);
  }
  const listed = new Set([...text.matchAll(/^deny (\S+);/gm)].map((m) => m[1]!));
  const now = ctx.now();
  const active = ctx.store.db.select({ ip: bans.ip, expiresAt: bans.expiresAt }).from(bans).all().filter((r) => isActive(r, now));
  const missing = active.filter((r) => !listed.has(r.ip)).map((r) => r.ip);
  if (missing.length) return check("warning", `${missing.length} active ban(s) missing from ${cfg.file} (${missing.slice(0, 5).join(", ")}): the last write failed (disk full? directory not writable?), see the ban.failed activities`);
  const conf = ctx.config.security.nginx_conf;
  if (conf) {
    try {
      const parsed = await nginxConfig();
      if (!parsed.files.some((f) => sameFile(f, cfg.file))) return check("warning", `${conf} does not include ${cfg.file}: add "include ${cfg.file};" to the server block, or the bans have no effect`);
    } catch {
      // unreadable or invalid nginx configuration: the nginx audit reports it
    }
  }
  return check("pass", `${active.length} active ban(s) in ${cfg.file}${conf ? `, included by ${conf}` : ""}`);
}
