/**
 * Attacker text on a terminal: log lines, paths, user agents and names reach Moat's human-readable
 * output, and a raw ESC, CR or LF in them could recolour or retitle the terminal, rewrite the line
 * above, or forge a line of output; a bidi override reorders what is shown. Such characters are made
 * visible instead: ESC as `\x1b`, CR as `\r`, U+202E as `\u202e`.
 */

/**
 * C0 controls (LF, CR, TAB and ESC included), DEL, C1 controls (CSI U+009B, NEL U+0085 ...), the line
 * and paragraph separators, and the bidi marks, embeddings, overrides and isolates.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same characters but C0, which JSON.stringify escapes itself. */
const JSON_UNESCAPED = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex = (c: string, digits: number) => c.charCodeAt(0).toString(16).padStart(digits, "0");

function visible(c: string): string {
  return NAMED[c] ?? (c < "\u0100" ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`);
}

/**
 * Text safe to print on a terminal: every control and bidi character written as a visible escape.
 * A backslash is left alone (it is harmless), so escaping twice changes nothing.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/**
 * JSON.stringify, with the characters it leaves raw (DEL, C1, bidi, U+2028/2029) written as `\uXXXX`:
 * the same JSON value, safe on a terminal.
 */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_UNESCAPED, (c) => `\\u${hex(c, 4)}`);
}
