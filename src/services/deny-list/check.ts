/** The security check of the deny list: the file lists every active ban, and nginx includes it. */
import { readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { ServiceContext } from "../context.ts";
import { parseNginxConfig, type NginxConfig } from "../security/nginx-config.ts";
import type { CheckResult } from "../security/check-result.ts";
import { renderDenyFile } from "./rules.ts";
import { banRowsOldestFirst, storedProblem } from "./apply.ts";

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
 * unwritable directory — leaves it behind the table), no stored ban is left out of it (not unicast,
 * over ban.max_entries), and the audited nginx configuration includes it.
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
  // What the file should hold: the same rendering as the writer's, so that the rows it leaves out are told apart from a failed write.
  const expected = renderDenyFile(banRowsOldestFirst(ctx.store), ctx.now(), cfg.max_entries);
  const missing = expected.addresses.filter((ip) => !listed.has(ip));
  if (missing.length) return check("warning", `${missing.length} active ban(s) missing from ${cfg.file} (${missing.slice(0, 5).join(", ")}): the last write failed (disk full? directory not writable?), see the ban.failed activities`);
  const { refused, overCap } = expected;
  if (refused.length) return check("warning", `${refused.length} stored ban(s) are never written to ${cfg.file} (${refused.slice(0, 5).map((r) => `${JSON.stringify(r.ip)}: ${r.why}`).join("; ")}): remove them with moat ban remove`);
  if (overCap.length) return check("warning", `${overCap.length} active ban(s) left out of ${cfg.file}: more than ban.max_entries (${cfg.max_entries}); lift bans with moat ban remove, or raise ban.max_entries`);
  const conf = ctx.config.security.nginx_conf;
  if (conf) {
    try {
      const parsed = await nginxConfig();
      if (!parsed.files.some((f) => sameFile(f, cfg.file))) return check("warning", `${conf} does not include ${cfg.file}: add "include ${cfg.file};" to the server block, or the bans have no effect`);
    } catch {
      // unreadable or invalid nginx configuration: the nginx audit reports it
    }
  }
  return check("pass", `${expected.addresses.length} active ban(s) in ${cfg.file}${conf ? `, included by ${conf}` : ""}`);
}
