/**
 * Whether a `<script>` tag named in prose runs nothing: the browser parses a script's text whole, and a
 * syntax error anywhere in it runs none of it. Prose after the tag (`Use <script> tags to include
 * JavaScript`) is such an error; an injected script is not.
 *
 * Only the plainest case is judged, where the tokenizer and a browser cannot disagree on what the body
 * is: a bare `<script>` (no attributes) with no other markup before it in the value, a body without a
 * `<` of its own, ended by a real `</script>` end tag or by the value's end. A body the value does not
 * close goes on, in the page, up to the page's next `</script>`: there only an unexpected token inside
 * the value counts, which the rest of the page cannot mend, or a string opened at the body's start and
 * never closed, which holds the whole rest of the value as text. And only the errors of a text that is no
 * JavaScript at all count (an unexpected token or character, an unterminated literal): V8 runs code
 * that acorn refuses for its early errors (`f()=1` is a run-time error there). Every way a browser may
 * read the body must fail: as a classic script and as a module, as sent and with its character
 * references decoded.
 */
import { parse, type Options } from "acorn";
import { decodeHTML } from "entities";

/** Longer bodies are not parsed: judged as scripts whatever they hold. */
const MAX_BODY = 4096;
const GOALS: Options[] = [
  { ecmaVersion: "latest", sourceType: "script" },
  { ecmaVersion: "latest", sourceType: "module" },
];
/** What a browser takes for the end of a script element: `</script` and then a space, `/` or `>`. */
const END_TAG = /^<\/script[\t\n\f\r />]/i;

/** Whether the text fails to parse for this goal in a way that no browser and no page after it can mend. */
function fails(body: string, options: Options, closedInValue: boolean): boolean {
  try {
    parse(body, options);
    return false;
  } catch (e) {
    const { pos, message } = e as { pos?: unknown; message?: unknown };
    if (typeof pos !== "number" || typeof message !== "string") return false;
    if (closedInValue) return message.startsWith("Unexpected") || message.startsWith("Unterminated");
    // A body that opens a quoted string it never closes holds all of the value inside that string: the
    // page may close it, but only the page's own text comes after (`Your site shows "<script>" text`).
    if (message.startsWith("Unterminated string")) return pos === body.length - body.trimStart().length;
    return message.startsWith("Unexpected") && pos < body.trimEnd().length;
  }
}

/**
 * s: the value; tagStart and bodyStart: where the `<script>` tag and its text start; bodyEnd: where the
 * tokenizer ended the text (the value's length when the value does not close it); bare: the tag has
 * no attributes.
 */
export function inertScript(s: string, tagStart: number, bodyStart: number, bodyEnd: number, bare: boolean): boolean {
  // A value that opens with the tag is markup from its first character, not prose naming a tag.
  if (!bare || tagStart === 0 || s.lastIndexOf("<", tagStart - 1) !== -1) return false;
  const body = s.slice(bodyStart, bodyEnd);
  if (body.length > MAX_BODY || body.trim() === "" || body.indexOf("<") !== -1) return false;
  const closedInValue = bodyEnd < s.length;
  if (closedInValue && !END_TAG.test(s.slice(bodyEnd, bodyEnd + 9))) return false;
  const readings = body.indexOf("&") === -1 ? [body] : [body, decodeHTML(body)];
  return readings.every((text) => GOALS.every((goal) => fails(text, goal, closedInValue)));
}
