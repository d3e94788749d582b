/**
 * Session fixation is a property of a whole request (a framework's session id handed over by another
 * site), not of one value, so the value generators cannot teach it. These are such requests: the id in
 * a query, a form or a JSON body, from a foreign page or from no page at all, and, as their benign
 * twins, the same requests from the site's own pages (which carry only the weak id-parameter mark).
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { ClassLabel } from "../../detect/classes.ts";
import { written } from "./placement.ts";
import { rng } from "../../core/random.ts";
import { pick } from "./sample.ts";

/** Session cookie names of common frameworks, as a link would carry them. */
const SESSION_NAMES = [
  "JSESSIONID", "jsessionid", "PHPSESSID", "phpsessid", "ASPSESSIONIDQATSBQDC", "ASP.NET_SessionId", "CFID", "CFTOKEN", "connect.sid",
  "laravel_session", "ci_session", "_rails_session", "play_session", "koa.sess", "sails.sid", "_flask_session", "cakephp",
];
const SITES = ["shop.example.com", "portal.example.org", "bank.example.net", "intranet.example.io"];
/** Other sites: none shares a domain with SITES. */
const FOREIGN = ["evil.test", "attacker.test", "phish-bank.net", "198.51.100.23", "login-verify.info", "free-prizes.co.uk"];
const PATHS = ["/login", "/account", "/", "/index.php", "/servlet/Login", "/users/sign_in", "/app/home"];

function token(r: () => number): string {
  const alphabet = "ABCDEF0123456789abcdefghijklmnopqrstuvwxyz";
  return Array.from({ length: 6 + Math.floor(r() * 30) }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
}

export interface SessionRequests {
  attacks: { request: HttpRequest; label: ClassLabel }[];
  benign: HttpRequest[];
}

export function sessionFixationRequests(count: number, seed: number): SessionRequests {
  const r = rng(seed);
  const out: SessionRequests = { attacks: [], benign: [] };
  for (let i = 0; i < count; i++) {
    const site = pick(r, SITES);
    const name = pick(r, SESSION_NAMES);
    const path = pick(r, PATHS);
    const id = token(r);
    const how = r();
    const send = (referer: string | null) => {
      const headers: [string, string][] = referer ? [["referer", referer]] : [];
      if (how < 0.6) return written("GET", `${path}?${encodeURIComponent(name)}=${id}${r() < 0.5 ? "&lang=en" : ""}`, site, headers, null, "session-fixation");
      if (how < 0.85) return written("POST", path, site, headers, { type: "application/x-www-form-urlencoded", text: `${encodeURIComponent(name)}=${id}&user=${token(r)}` }, "session-fixation");
      return written("POST", path, site, headers, { type: "application/json", text: JSON.stringify({ [name]: id }) }, "session-fixation");
    };
    // Mostly a foreign page; a fifth with no Referer at all (the weaker finding); JSON only from a page.
    const attack = send(how >= 0.85 || r() < 0.8 ? `https://${pick(r, FOREIGN)}/${token(r)}` : null);
    if (attack) out.attacks.push({ request: attack, label: "session-fixation" });
    const own = send(`https://${r() < 0.5 ? "www." : ""}${site}/${token(r)}`);
    if (own) out.benign.push(own);
  }
  return out;
}
