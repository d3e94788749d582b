/**
 * Session fixation: a value that makes the victim's browser store a cookie the attacker chose.
 * - script that writes `document.cookie` (an assignment, not a read), dotted or bracketed;
 * - `<meta http-equiv="Set-Cookie" ...>`, which old browsers obey;
 * - cookie attribute syntax (`.cookie=...;expires=`, `; domain=.example`) written as code.
 * Whether a session-id parameter (`?PHPSESSID=...`) arrives from a foreign site is a matter of the
 * whole request (its Referer), not of one value: the site profile and the combiner weigh that. Here a
 * parameter named like a framework's session cookie gets only a weak mark for them to use.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

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
/** Cheap check on the name: every session name above has one of these. */
const SESSION_HINT = /s[ei]|cf|cake/i;
const JSON_PATH = /^body\.json|~json/;
/** Generic names, which analytics beacons also use for their own visit ids. */
const GENERIC_SESSION = /^_?(?:session_?id|sessid)$/i;

export const sessionFixationAnalyzer: Analyzer = {
  name: "session",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string") return [];
    const out: Finding[] = [];
    // A session id a link or a form can carry: a query or form parameter (a JSON key is an API's own).
    if (input.kind === "value" && (input.location === "query" || input.location === "body") && SESSION_HINT.test(input.name)) {
      const strength = FRAMEWORK_SESSION.test(input.name) ? 0.45 : GENERIC_SESSION.test(input.name) ? 0.3 : 0;
      if (strength && !JSON_PATH.test(input.path)) out.push(find("id-parameter", strength, 0, text.length));
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
