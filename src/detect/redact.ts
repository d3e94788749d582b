/**
 * Secrets out of everything Moat keeps. A request is judged on its real values; then, before it is
 * stored, published on the live bus (WebSocket, webhook, alerts), printed or logged, every value that
 * can open someone's account is replaced by a marker: credentials in headers (Authorization, API
 * keys), every cookie value (cookie names say little about which one is the session), and query, form
 * and JSON-body values whose names mean a secret. The marker keeps what an operator needs to
 * investigate without the secret itself:
 *
 *   `[redacted len=32 sha=ab12cd34ef56]`, or with the attack the models found in that value
 *   `[redacted len=40 sha=ab12cd34ef56 shows: ' or 1=1--]`
 *
 * `sha` is the first 12 hex digits of an HMAC-SHA256 keyed with the installation's secret (see
 * store/redaction-key.ts): equal values have equal hashes, so one stolen token can be followed across
 * requests, but a leaked database or export cannot be brute-forced back to short passwords, as a
 * plain hash could (an 8-character password falls to a GPU in hours).
 */
import { containsText, replaceText } from "../core/text-search.ts";
import { GenerationalCache } from "../core/generational-cache.ts";
import type { HttpRequest, Param } from "../core/http-request.ts";
import { parseCookies, percentDecode } from "../parse/decode.ts";
import { fieldOfLeaf } from "../decompose/leaf.ts";
import type { Reason } from "./verdict.ts";

/**
 * The one list of names that mean a secret, for headers, parameters, JSON keys and log variables.
 * Names are matched lower-cased with camelCase split (`apiKey` → `api-key`). Fragments match
 * anywhere (`PHPSESSID`, `x-amz-security-token`, `user[password]`); the short words only as a whole
 * word (`pass` but not `passenger`, `key` but not `monkey`).
 */
const SECRET_FRAGMENTS = /password|passwd|passphrase|secret|token|api-?key|access-?key|private-?key|credential|session|sessid|csrf|xsrf|jwt|bearer|signature|authorization|cookie/;
const SECRET_WORDS = /(?:^|[^a-z0-9])(?:pass|pwd|pw|pin|sid|key|auth|otp|sig)(?:[^a-z0-9]|$)/;

/** Names seen: the same few come on every request, and this runs for each of their headers and parameters. */
const known = new GenerationalCache<string, boolean>(4096);

/** Whether a header, parameter, JSON key or log variable named `name` carries a secret. */
export function isSecretName(name: string): boolean {
  // Names are the client's: a long one is judged without being kept, so 4096 of them cannot pin gigabytes.
  if (name.length > MAX_CACHED_NAME) return judgeName(name);
  let secret = known.get(name);
  if (secret === undefined) known.set(name, (secret = judgeName(name)));
  return secret;
}

/** Longest name kept in the cache. */
const MAX_CACHED_NAME = 128;

function judgeName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
  return SECRET_FRAGMENTS.test(words) || SECRET_WORDS.test(words);
}

/** Most characters of a secret value that evidence may show: never the whole value, nor more than half. */
const MAX_EVIDENCE_IN_SECRET = 32;

/**
 * Evidence found inside a secret value, cut so that it explains the verdict without giving the value
 * away: the generic model's evidence span can be the whole value (a cookie or a token that looked odd).
 */
function capEvidence(evidence: string, valueLength: number): string {
  const keep = Math.min(MAX_EVIDENCE_IN_SECRET, Math.floor(valueLength / 2));
  return evidence.length > keep ? `${evidence.slice(0, keep)}…` : evidence;
}

/** What was hidden, for the operator: where, how long, its keyed hash and the evidence kept. */
export interface Redaction {
  /** As reasons name fields: `query.password`, `cookie.session`, `header.authorization`, `body.user.token`. */
  field: string;
  /** Characters in the value. */
  length: number;
  /** First 12 hex digits of HMAC-SHA256(installation key, value). */
  sha: string;
  /** What the models flagged inside the value, kept so the verdict can still be explained. */
  evidence: string[];
}

/** A request as Moat keeps it: its secrets replaced by markers, listed in `redacted`. */
export type RedactedRequest = HttpRequest & { redacted: Redaction[]; raw?: string };

/** Shortest secret whose survival in the raw text is checked (shorter ones match by chance). */
const CHECKED_LENGTH = 4;

/** `"`, `\`, control and non-ASCII bytes as nginx's `escape=default` writes them (`\xHH`). */
function nginxEscaped(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) out += b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x7f ? `\\x${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b);
  return out;
}

/** The ways a value can be written in a log line, always in this order: as is, nginx-escaped, JSON-escaped. */
function wireForms(s: string): [string, string, string] {
  return [s, nginxEscaped(s), JSON.stringify(s).slice(1, -1)];
}

const KEY_CHAR = /[\w.\-[\]$]/;
const VALUE_END = /[\s&,;{}[\]<"']/;
const SPACE = /\s/;

/**
 * `name=value`, `"name": "value"`, `name: 'value'` in a body that is neither a form nor split into
 * parameters (JSON, text): each value whose name is a secret becomes `redact(name, value, quoted)`.
 * A hand-written scan rather than a regex: bodies are attacker text, and a regex with a key, a
 * separator and a quoted value backtracks quadratically on crafted input. Every character is looked
 * at a bounded number of times (a key is read back only as far as the previous separator).
 */
function redactKeyValues(text: string, redact: (name: string, value: string, keyQuote: string) => string): string {
  let out = "";
  let done = 0;
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (c !== "=" && c !== ":") continue;
    let k = j;
    while (k > done && SPACE.test(text[k - 1]!)) k--;
    const quote = k > done && (text[k - 1] === '"' || text[k - 1] === "'") ? text[k - 1]! : "";
    const keyEnd = quote ? --k : k;
    while (k > done && KEY_CHAR.test(text[k - 1]!)) k--;
    if (quote && text[k - 1] !== quote) continue;
    const name = text.slice(k, keyEnd);
    if (!name || !isSecretName(lastKey(name))) continue;
    let start = j + 1;
    while (start < text.length && SPACE.test(text[start]!)) start++;
    let end = start;
    const open = text[start];
    if (open === '"' || open === "'") {
      end++;
      while (end < text.length && text[end] !== open) end += open === '"' && text[end] === "\\" ? 2 : 1;
      end = Math.min(end + 1, text.length);
    } else while (end < text.length && !VALUE_END.test(text[end]!)) end++;
    const value = text.slice(start, end);
    if (!value || /^(?:null|true|false)$/.test(value)) continue;
    out += text.slice(done, start) + redact(name, value, quote);
    done = end;
    j = end - 1;
  }
  return out + text.slice(done);
}

/** The last key of a JSON leaf label (`body.user.tokens[0]` → `tokens`). */
export function lastKey(label: string): string {
  // Array indexes cut from the end by hand: `/(\[\d+\])+$/`, tried at every `[` of a long run of
  // them, took quadratic time, and past the engine's backtracking limit matched nothing.
  let end = label.length;
  while (label[end - 1] === "]") {
    let digits = end - 1;
    while (digits > 0 && label.charCodeAt(digits - 1) >= 48 && label.charCodeAt(digits - 1) <= 57) digits--;
    if (digits === end - 1 || label[digits - 1] !== "[") break;
    end = digits - 1;
  }
  return label.slice(0, end).split(".").pop() ?? "";
}

export type Redactor = (req: HttpRequest, reasons: Reason[], raw?: string) => RedactedRequest;

/**
 * Past the leaf limit each request part's values are judged together, as one text leaf named after
 * the part (src/decompose/sink.ts), and which value a span of that text came from is not known.
 * Evidence found there is not kept where a secret may be among the values: always in the headers and
 * cookies, which hold credentials; in the query and the body when one of their values was redacted.
 */
function blankPartWideEvidence(reasons: Reason[], redacted: readonly Redaction[]): void {
  const secretParts = new Set(["header", "cookie", ...redacted.map((e) => e.field.split(".", 1)[0]!)]);
  for (const r of reasons) if (secretParts.has(r.field)) r.evidence = "";
}

/** A redactor for one installation: `key` is its secret (store/redaction-key.ts). */
export function createRedactor(key: Uint8Array): Redactor {
  const sha = (value: string) => new Bun.CryptoHasher("sha256", key).update(value).digest("hex").slice(0, 12);

  return (req, reasons, raw) => {
    const redacted: Redaction[] = [];
    /** Wire text of a whole field → its redacted text, for the raw line. */
    const replaced = new Map<string, string>();
    /** Secrets (decoded and as sent) that must not survive in the raw line. */
    const secrets = new Set<string>();
    /** The reasons whose evidence lies in this value. */
    const reasonsFor = (field: string, value: string) => {
      const lower = value.toLowerCase();
      // A raw body is one field: only its evidence that lies inside this value explains it.
      if (field.startsWith("body:")) return reasons.filter((r) => r.field === "body" && r.evidence && lower.includes(r.evidence));
      if (field.startsWith("body.json:")) {
        const name = field.slice("body.json:".length);
        return reasons.filter((r) => r.field.startsWith("body.") && lastKey(r.field) === name && r.evidence);
      }
      // A reading derived from the value (`header.authorization~base64~json.alg`) is the value's too.
      return reasons.filter((r) => fieldOfLeaf(r.field) === field && r.evidence);
    };
    /** Markers made so far, by field and value: a cookie is met in the cookie list and in its header. */
    const markers = new Map<string, string>();
    /** The marker for `value` found in `field`; records it once per field and value. */
    const marker = (field: string, value: string, wire = value): string => {
      const id = `${field}\0${value}`;
      let m = markers.get(id);
      if (m === undefined) {
        // The verdict's own reasons are cut too: they are kept beside the request (threats, the live feed).
        const found = reasons.length ? reasonsFor(field, value) : [];
        for (const r of found) r.evidence = capEvidence(r.evidence, value.length);
        const evidence = [...new Set(found.map((r) => r.evidence))];
        const entry: Redaction = { field: field.startsWith("body") ? field.replace(/^body(\.json)?:/, "body.") : field, length: value.length, sha: sha(value), evidence };
        redacted.push(entry);
        markers.set(id, (m = `[redacted len=${entry.length} sha=${entry.sha}${evidence.length ? ` shows: ${evidence.join(" … ")}` : ""}]`));
      }
      if (raw !== undefined) for (const s of [value, wire]) if (s.length >= CHECKED_LENGTH) secrets.add(s);
      return m;
    };
    const replace = (before: string, after: string) => {
      if (before !== after && before) replaced.set(before, after);
      return after;
    };

    /** `a=1&password=x` with the secret values replaced (the pieces are split as parseParams splits them). */
    const paramString = (s: string, location: string) =>
      s
        .split("&")
        .map((piece) => {
          const eq = piece.indexOf("=");
          if (eq === -1) return piece;
          const name = percentDecode(piece.slice(0, eq), true);
          const rawValue = piece.slice(eq + 1);
          return isSecretName(name) ? `${piece.slice(0, eq)}=${marker(`${location}.${name}`, percentDecode(rawValue, true), rawValue)}` : piece;
        })
        .join("&");
    const params: Param[] = req.params.map((p) => {
      if (!isSecretName(p.name)) return p;
      const m = marker(`${p.location}.${p.name}`, p.value, p.rawValue);
      return { ...p, value: m, rawValue: m };
    });
    const query = params.some((p, i) => p !== req.params[i] && p.location === "query") ? replace(req.query, paramString(req.query, "query")) : req.query;
    /** A URL's query (a Referer's) with its secrets replaced. */
    const url = (u: string) => {
      const q = u.indexOf("?");
      if (q === -1) return u;
      const hash = u.indexOf("#", q);
      const end = hash === -1 ? u.length : hash;
      return replace(u, `${u.slice(0, q + 1)}${paramString(u.slice(q + 1, end), "referer")}${u.slice(end)}`);
    };

    const cookies = req.cookies.map((c) => ({ name: c.name, value: marker(`cookie.${c.name}`, c.value) }));
    const cookieHeader = (value: string) => parseCookies(value).map((c) => (c.name ? `${c.name}=${marker(`cookie.${c.name}`, c.value)}` : marker("cookie.", c.value))).join("; ");
    const header = (name: string, value: string): string => {
      if (name === "cookie") return cookieHeader(value);
      if (name === "referer") return url(value);
      if (name === "set-cookie") {
        // The cookie's name and attributes stay: only its value is secret.
        const semi = value.indexOf(";");
        const [pair, attributes] = semi === -1 ? [value, ""] : [value.slice(0, semi), value.slice(semi)];
        const eq = pair.indexOf("=");
        return eq === -1 ? marker(`header.${name}`, value) : `${pair.slice(0, eq + 1)}${marker(`cookie.${pair.slice(0, eq).trim()}`, pair.slice(eq + 1))}${attributes}`;
      }
      if (!isSecretName(name)) return value;
      // `Bearer`, `Basic`: the scheme says what kind of credential it was, and is no secret.
      const scheme = /^([A-Za-z][\w-]*) +(\S.*)$/.exec(value);
      return scheme && /^(?:basic|bearer|digest|negotiate|ntlm|token|apikey|aws4-hmac-sha256)$/i.test(scheme[1]!) ? `${scheme[1]} ${marker(`header.${name}`, scheme[2]!)}` : marker(`header.${name}`, value);
    };
    const headers: [string, string][] = req.headers.map(([name, value]) => [name, replace(value, header(name, value))]);

    let body = req.body;
    if (body !== null) {
      body = req.params.some((p) => p.location === "body")
        ? params.some((p, i) => p !== req.params[i] && p.location === "body") ? paramString(body, "body") : body
        : redactKeyValues(body, (name, value, keyQuote) => {
            let plain = value;
            if (value.startsWith('"')) {
              try {
                plain = JSON.parse(value) as string;
              } catch {
                plain = value.slice(1, -1);
              }
            } else if (value.startsWith("'")) plain = value.slice(1, -1);
            const key = lastKey(name);
            const m = marker(keyQuote === '"' ? `body.json:${key}` : `body:${name}`, String(plain), value);
            return keyQuote === '"' || value.startsWith('"') ? JSON.stringify(m) : m;
          });
      replace(req.body!, body);
    }

    const extra: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.extra)) {
      // `$cookie_NAME` logs a cookie's value; `$arg_token`, `$sent_http_set_cookie` are named for what they hold.
      extra[name] = isSecretName(name) || name.startsWith("cookie_") ? replace(value, marker(`extra.${name}`, value)) : value;
    }

    blankPartWideEvidence(reasons, redacted);
    const out: RedactedRequest = { ...req, query, params, referer: req.referer ? url(req.referer) : req.referer, headers, cookies, body, extra, redacted };
    if (raw !== undefined) {
      const kept = redactRaw(raw, replaced, secrets);
      if (kept !== null) out.raw = kept;
    }
    return out;
  };
}

/**
 * The raw text (a log line) with each redacted field's text replaced, longest first, in every way a
 * log writes it. Null when a secret still shows (a log format that writes values some other way):
 * the request is then shown from its redacted fields instead.
 */
function redactRaw(raw: string, replaced: Map<string, string>, secrets: Set<string>): string | null {
  let text = raw;
  for (const [before, after] of [...replaced].sort((a, b) => b[0].length - a[0].length)) {
    const forms = wireForms(after);
    wireForms(before).forEach((form, i) => (text = replaceText(text, form, forms[i]!)));
  }
  for (const s of secrets) for (const form of wireForms(s)) if (containsText(text, form)) return null;
  return text;
}
