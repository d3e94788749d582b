/**
 * Session fixation: a value that makes the victim's browser store a cookie the attacker chose.
 * - script that writes `document.cookie` (an assignment, not a read), dotted or bracketed;
 * - `<meta http-equiv="Set-Cookie" ...>`, which old browsers obey;
 * - cookie attribute syntax (`.cookie=...;expires=`, `; domain=.example`) written as code.
 * Whether a session-id parameter (`?PHPSESSID=...`) arrives from a foreign site is a matter of the
 * whole request (its Referer), not of one value: the analyzer gives such a parameter only a weak mark,
 * and `sessionIdFromElsewhere` judges it with the request's Host and Referer.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, hostName } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("session-fixation", `session.${rule}`, strength, start, end);

/**
 * `document.cookie=`, `document['cookie'] =`, `self['document'][`cookie`]=`: an assignment, not a read or
 * a comparison. Bracketed, only on the document (`settings['cookie'] = consent` is an app's own key).
 */
const COOKIE_WRITE = /(?:\.\s*cookie|(?:document|\])\s*\[\s*(["'`])cookie\1\s*\])\s*=(?!=)/i;
const META_SET_COOKIE = /<meta\b[^>]{0,200}?http-equiv\s*=\s*["']?set-cookie/i;
const COOKIE_ATTRIBUTES = /\.cookie\b[^;]{0,200}?;\s*(?:expires|domain|path|max-age)\s*=/i;
/** Session cookie names of common frameworks, as parameter names. */
const FRAMEWORK_SESSION = /^(?:jsessionid|phpsessid|phpsession|aspsessionid\w*|asp\.net_sessionid|cfid|cftoken|cfsid|jservsession|connect\.sid|sails\.sid|koa[.:]sess|laravel_session|_flask_session|play_session|_rails_session|ci_session|cakephp|shiny-token|meteor_login_token|(?:__(?:host|secure)-)?next-auth\.session-token)$/i;
const JSON_PATH = /^body\.json|~json/;
/** Generic names, which analytics beacons also use for their own visit ids. */
const GENERIC_SESSION = /^_?(?:session_?id|sessid)$/i;

/** A query or body value named like a session id (a JSON key included: the caller decides whether that counts). */
function isSessionParameter(input: AnalyzerInput): boolean {
  return input.kind === "value" && (input.location === "query" || input.location === "body") && (FRAMEWORK_SESSION.test(input.name) || GENERIC_SESSION.test(input.name));
}

/** The Referer's host, "" when there is none or it is not an absolute URL. */
function refererHost(referer: string): string {
  if (!referer || referer === "-") return "";
  try {
    return hostName(new URL(referer).hostname);
  } catch {
    return "";
  }
}

/**
 * The site a host belongs to: its last two labels, or three under a short second-level label
 * (`shop.co.uk`, `ctrip.com.cn`). Without the public-suffix list this is an approximation that errs
 * towards "same site", the side that raises nothing.
 */
function siteOf(host: string): string {
  const labels = host.split(".");
  if (labels.length <= 2 || /^[\d]+$/.test(labels.at(-1)!)) return host;
  const keep = labels.at(-2)!.length <= 3 ? 3 : 2;
  return labels.slice(-keep).join(".");
}

/** The same site: one host, or two hosts of one domain (`www.shop.example` links to `api.shop.example`). */
function sameSite(a: string, b: string): boolean {
  return a === b || siteOf(a) === siteOf(b);
}

/**
 * Session fixation across the request: a framework's session id handed over in a link or a form that
 * another site served (the Referer's host is not this site's), or with no Referer at all (a link in a
 * mail or a chat). Only the frameworks' own cookie names count: analytics beacons send their own
 * `sessionId` across sites all day. Judged only when the request names the site it was sent to (its
 * Host): a log line without one cannot tell. The session-id leaf gets the finding; the value is the
 * evidence. A JSON key counts only when the request comes from elsewhere: an API's own clients send no
 * Referer.
 */
export function sessionIdFromElsewhere(req: Pick<HttpRequest, "host" | "referer">, leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  // Most requests carry no framework's session id: the URLs are parsed only for one that does.
  // A plain loop: this runs over every leaf of every request, and a flatMap made an array for each.
  const ids: number[] = [];
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (!leaf.encodings.length && leaf.text && isSessionParameter(leaf) && FRAMEWORK_SESSION.test(leaf.name)) ids.push(at);
  }
  if (!ids.length) return [];
  const host = hostName(req.host);
  if (!host) return [];
  const from = refererHost(req.referer);
  if (from && sameSite(from, host)) return [];
  return ids
    .filter((at) => from || !JSON_PATH.test(leaves[at]!.path))
    .map((at) => ({ at, finding: from ? find("id-from-foreign-site", 0.9, 0, leaves[at]!.text.length) : find("id-without-referer", 0.6, 0, leaves[at]!.text.length) }));
}

export const sessionFixationAnalyzer: Analyzer = {
  name: "session",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string") return [];
    const out: Finding[] = [];
    // A session id a link or a form can carry: a query or form parameter (a JSON key is an API's own).
    if (isSessionParameter(input) && !JSON_PATH.test(input.path)) {
      out.push(find("id-parameter", FRAMEWORK_SESSION.test(input.name) ? 0.45 : 0.3, 0, text.length));
    }
    if (text.indexOf("ookie") < 0 && text.indexOf("OOKIE") < 0) return out;
    const meta = META_SET_COOKIE.exec(text);
    if (meta) out.push(find("meta-set-cookie", 0.95, meta.index, meta.index + meta[0].length));
    const write = COOKIE_WRITE.exec(text);
    if (write) out.push(find("cookie-write", 0.85, write.index, write.index + write[0].length));
    else {
      const attributes = COOKIE_ATTRIBUTES.exec(text);
      if (attributes) out.push(find("cookie-attributes", 0.75, attributes.index, attributes.index + attributes[0].length));
    }
    return out;
  },
};
