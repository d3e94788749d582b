/**
 * Substring search in time linear in the text and the pattern. The engine's own search (`includes`,
 * `replaceAll`) can take text × pattern steps when the pattern is long and the text is made to
 * almost match it everywhere (a run of `a` against `ab` + a run of `a`): with both from a request,
 * a log line of a hundred kilobytes took seconds. Short patterns keep the engine's search.
 */

/** Longest pattern searched with the engine's own search: its worst case is this many times the text. */
const ENGINE_MAX_PATTERN = 64;

/** The pattern's failure table (Knuth–Morris–Pratt): for each prefix, the longest proper prefix that is also its suffix. */
function failureTable(pattern: string): Int32Array {
  const fail = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern.charCodeAt(i) !== pattern.charCodeAt(k)) k = fail[k - 1]!;
    if (pattern.charCodeAt(i) === pattern.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return fail;
}

/** Where `pattern` starts in `text`, left to right without overlap, as `replaceAll` finds them. */
export function occurrences(text: string, pattern: string): number[] {
  const out: number[] = [];
  if (pattern === "") return out;
  if (pattern.length <= ENGINE_MAX_PATTERN) {
    for (let i = text.indexOf(pattern); i !== -1; i = text.indexOf(pattern, i + pattern.length)) out.push(i);
    return out;
  }
  const fail = failureTable(pattern);
  for (let i = 0, k = 0; i < text.length; i++) {
    while (k > 0 && text.charCodeAt(i) !== pattern.charCodeAt(k)) k = fail[k - 1]!;
    if (text.charCodeAt(i) === pattern.charCodeAt(k)) k++;
    if (k === pattern.length) {
      out.push(i - k + 1);
      k = 0; // no overlap: the next match starts after this one
    }
  }
  return out;
}

/** `text.includes(pattern)`, in linear time. */
export function containsText(text: string, pattern: string): boolean {
  return pattern === "" || (pattern.length <= ENGINE_MAX_PATTERN ? text.includes(pattern) : occurrences(text, pattern).length > 0);
}

/** `text.replaceAll(pattern, replacement)` (a plain string, no `$` patterns), in linear time. */
export function replaceText(text: string, pattern: string, replacement: string): string {
  const at = occurrences(text, pattern);
  if (!at.length) return text;
  let out = "";
  let done = 0;
  for (const i of at) {
    out += text.slice(done, i) + replacement;
    done = i + pattern.length;
  }
  return out + text.slice(done);
}
