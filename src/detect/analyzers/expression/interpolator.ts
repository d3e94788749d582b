/**
 * Apache Commons Text's string interpolator (`StringSubstitutor.createInterpolator()`, CVE-2022-42889,
 * "Text4Shell"): lookups that run a script engine (`${script:javascript:...}`), resolve a host
 * (`${dns:address|x.example}`), fetch a URL (`${url:UTF-8:http://...}`) or read a file
 * (`${file:UTF-8:/etc/passwd}`). Each prefix has a shape of its own (a charset before a URL or a
 * path, a dns field before `|`), which other `${...}` placeholders (shell, Compose, Spring) lack.
 */

export interface InterpolatorHit {
  strength: number;
  start: number;
  end: number;
}

const LOOKUP =
  /\$\{\s*(?:script\s*:\s*[a-z][\w-]{1,20}\s*:|dns\s*:\s*(?:(?:address|canonical-name|name)\s*\|)?\s*[\w.-]+\.[a-z]{2,}|url\s*:\s*[\w-]{2,20}\s*:\s*[a-z][\w+.-]*:\/\/|file\s*:\s*[\w-]{2,20}\s*:\s*[/\\~.A-Za-z])/i;

/** The first interpolator lookup in s, or null. */
export function interpolatorHit(s: string): InterpolatorHit | null {
  if (s.indexOf("${") === -1) return null;
  const m = LOOKUP.exec(s);
  return m ? { strength: 0.85, start: m.index, end: m.index + m[0].length } : null;
}
