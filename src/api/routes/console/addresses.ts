/**
 * Who attacks the site and what one address did: the top attackers of a range (with their network,
 * its country and AS when local databases are configured, and whether a ban covers them, for the
 * Overview's "ban" button) and an address's profile page.
 */
import { Elysia, t } from "elysia";
import { iso, isoOrNull } from "../../contract.ts";
import { AddressProfile, Attacker, AttackerQuery, toDecision, type DecisionT } from "../../console-contract.ts";
import { ApiError, envelope, ErrorEnvelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";
import { addressActivity, topAttackers } from "../../../services/addresses.ts";
import { parseRange } from "../../../services/range.ts";
import { campaignPrefix, canonicalIp } from "../../../core/ip.ts";

export function addressRoutes(s: ApiServices) {
  const tags = ["bans"];
  /** The active ban of an address, or else of its network. */
  const banOf = (ip: string, prefix: string | null): DecisionT | null => {
    const row = s.denyList?.get(ip) ?? (prefix ? s.denyList?.get(prefix) : null) ?? null;
    return row ? toDecision(row) : null;
  };
  return new Elysia({ name: "console-addresses", prefix: "/api" })
    .get(
      "/attackers",
      ({ query }) => {
        const since = s.ctx.now() - parseRange(query.range).ms;
        return ok(
          topAttackers(s.ctx.store, since, query.limit ?? 10, query.agent).map((a) => {
            const prefix = campaignPrefix(a.ip);
            return { ...a, prefix, ...s.geo.lookup(a.ip), lastSeen: iso(a.lastSeen), ban: banOf(a.ip, prefix) };
          }),
        );
      },
      { query: AttackerQuery, response: envelope(t.Array(Attacker)), detail: { tags, summary: "The addresses with the most threats in the range, with their /24 or /64, country and AS (from local databases, when configured) and any ban covering them" } },
    )
    .get(
      "/addresses/:ip",
      ({ params }) => {
        const ip = canonicalIp(params.ip); // Elysia has decoded it
        if (!ip) throw new ApiError(400, `"${params.ip}" is not an IP address`);
        const prefix = campaignPrefix(ip);
        const seen = addressActivity(s.ctx.store, ip);
        return ok({ ip, prefix, ...seen, firstSeen: isoOrNull(seen.firstSeen), lastSeen: isoOrNull(seen.lastSeen), ...s.geo.lookup(ip), ban: banOf(ip, prefix) });
      },
      {
        params: t.Object({ ip: t.String({ minLength: 1, maxLength: 64, description: "an IPv4 or IPv6 address" }) }),
        response: { 200: envelope(AddressProfile), 400: ErrorEnvelope },
        detail: { tags, summary: "One address: its requests and threats, first and last seen, country and AS (when configured), and any ban covering it" },
      },
    );
}
