/**
 * Normalization: undoes the encodings attackers layer to slip past matching (repeated URL-encoding,
 * IIS `%uXXXX`, overlong UTF-8, HTML entities, Unicode compatibility forms, case, SQL/JS comments and
 * whitespace runs) and records what it undid, since layering is itself a signal. The raw text is
 * kept beside the result, so that evidence can point at the original bytes.
 */
import { bytesToText, foldOverlongUtf8, hexByteAt, percentUAt } from "../parse/decode.ts";

export interface NormalizeFlags {
  /** URL-decoding passes that changed something (1 = ordinary encoding, ≥2 = double encoding). */
  urlDecodePasses: number;
  /** True when decoding stopped at the pass limit with escapes still left. */
  decodeLimitHit: boolean;
  percentU: boolean;
  overlongUtf8: boolean;
  htmlEntities: boolean;
  /** NFKC changed the text (full-width letters, ligatures, ...). */
  unicodeCompat: boolean;
  nullByte: boolean;
  /** SQL/JS comments were removed. */
  comments: boolean;
  /** Control characters other than tab/newline. */
  controlChars: boolean;
}

export interface Normalized {
  raw: string;
  /** Decoded, folded, lower-cased text used for matching and features. */
  text: string;
  flags: NormalizeFlags;
}

export interface NormalizeOptions {
  /** Most URL-decoding passes (attackers nest encodings; the limit keeps the work bounded). */
  maxDecodePasses?: number;
  /** Decode `+` as space (query strings and form bodies). */
  plusAsSpace?: boolean;
}

/**
 * One URL-decoding pass over bytes: `%XX`, `%uXXXX`; overlong UTF-8 sequences (`%C0%AE` for `.`) are
 * folded to the character they spell. Escapes are read with the parser's `hexByteAt` and `percentUAt`.
 */
function decodePass(s: string, plusAsSpace: boolean, flags: NormalizeFlags): string {
  if (s.indexOf("%") === -1 && !(plusAsSpace && s.indexOf("+") !== -1)) return s;
  const bytes: number[] = [];
  const pushText = (t: string) => {
    for (const b of Buffer.from(t, "utf8")) bytes.push(b);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      const unit = percentUAt(s, i);
      if (unit >= 0) {
        pushText(String.fromCharCode(unit));
        flags.percentU = true;
        i += 5;
        continue;
      }
      const b = hexByteAt(s, i + 1);
      if (b >= 0) {
        bytes.push(b);
        i += 2;
        continue;
      }
    }
    if (c === 43 /* + */ && plusAsSpace) bytes.push(32);
    else if (c < 0x80) bytes.push(c);
    else pushText(s[i]!);
  }
  const folded = foldOverlongUtf8(bytes);
  if (folded) flags.overlongUtf8 = true;
  return bytesToText(folded ?? Uint8Array.from(bytes));
}

const NAMED_ENTITIES: Record<string, string> = {
  lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", sol: "/", bsol: "\\", lpar: "(", rpar: ")", colon: ":",
  semi: ";", equals: "=", tab: "\t", newline: "\n", nbsp: " ", grave: "`", lsqb: "[", rsqb: "]", lcub: "{", rcub: "}",
  excl: "!", quest: "?", num: "#", dollar: "$", percnt: "%", plus: "+", comma: ",", period: ".", ast: "*",
};

/** `&lt;`, `&#60;`, `&#x3c;` (with or without the `;`, as browsers accept). */
function decodeEntities(s: string, flags: NormalizeFlags): string {
  if (s.indexOf("&") === -1) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});?/g, (m, body: string) => {
    let ch: string | undefined;
    if (body[0] === "#") {
      const cp = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      ch = cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
    } else {
      ch = NAMED_ENTITIES[body.toLowerCase()];
    }
    if (ch === undefined) return m;
    flags.htmlEntities = true;
    return ch;
  });
}

/**
 * SQL and JS comments become one space (`UNION/**\/SELECT` is `UNION SELECT`); MySQL's executable
 * comments `/*!50000 ... *\/` keep their content. Whitespace runs collapse to one space.
 */
function foldCommentsAndSpace(s: string, flags: NormalizeFlags): string {
  let out = s;
  if (out.indexOf("/*") !== -1) {
    out = out.replace(/\/\*!\d*([\s\S]*?)\*\//g, (_, inner: string) => {
      flags.comments = true;
      return ` ${inner} `;
    });
    out = out.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, () => {
      flags.comments = true;
      return " ";
    });
  }
  // `-- ` and `#` to end of line are SQL comments only after a quote or keyword; keep them as tokens
  // (the featurizer sees them) rather than deleting text that may be legitimate.
  return out.replace(/[\s\u00a0]+/g, " ").trim();
}

function emptyFlags(): NormalizeFlags {
  return { urlDecodePasses: 0, decodeLimitHit: false, percentU: false, overlongUtf8: false, htmlEntities: false, unicodeCompat: false, nullByte: false, comments: false, controlChars: false };
}

/** Normalizes one raw (still encoded) value. */
export function normalizeValue(raw: string, options: NormalizeOptions = {}): Normalized {
  const flags = emptyFlags();
  const max = options.maxDecodePasses ?? 4;
  let text = raw;
  for (let pass = 0; pass < max; pass++) {
    const decoded = decodeEntities(decodePass(text, options.plusAsSpace === true && pass === 0, flags), flags);
    if (decoded === text) break;
    text = decoded;
    flags.urlDecodePasses++;
  }
  if (flags.urlDecodePasses === max && /%[0-9a-fA-F]{2}|%u[0-9a-fA-F]{4}/.test(text)) flags.decodeLimitHit = true;
  if (text.indexOf("\u0000") !== -1) flags.nullByte = true;
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) flags.controlChars = true;
  const nfkc = text.normalize("NFKC");
  if (nfkc !== text) flags.unicodeCompat = true;
  text = foldCommentsAndSpace(nfkc.toLowerCase().replaceAll("\u0000", ""), flags);
  return { raw, text, flags };
}

/**
 * Canonical form of a (decoded, normalized) path: backslashes as slashes, `//` folded, `.` and `..`
 * resolved, so that `/static/..%2f..%2fetc/passwd` and `/etc/passwd` compare equal.
 */
export function canonicalPath(decoded: string): string {
  const unified = decoded.replaceAll("\\", "/");
  const out: string[] = [];
  for (const p of unified.split("/")) {
    if (p === "" || p === ".") continue;
    // Above the root stays at the root, as servers resolve it.
    if (p === "..") out.pop();
    else out.push(p);
  }
  const trailing = unified.endsWith("/") && out.length > 0 ? "/" : "";
  return `/${out.join("/")}${trailing}`;
}
