import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { escapeControls, safeJson } from "../../src/core/control-chars.ts";

/** What a terminal may act on: C0, DEL, C1, bidi marks, embeddings, overrides and isolates, line and paragraph separators. */
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Any string, with those characters and the escapes' own backslash made frequent. */
const hostileText = fc.array(fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("\x1b[31m", "\x1b]0;t\x07", "\r", "\n", "\t", "\x00", "\x7f", "\u009b", "\u0085", "\u202e", "\u2066", "\u2069", "\u200f", "\u061c", "\u2028", "\u2029", "\\", "\\x1b")), { maxLength: 20 }).map((parts) => parts.join(""));

describe("escapeControls", () => {
  test("writes each control and bidi character as a visible escape", () => {
    expect(escapeControls("a\x1b[31mb\x1b]0;title\x07c\rd\ne\tf\x00g\x7fh\u009bi\u202ej\u2066k\u2028l\u061c")).toBe(
      "a\\x1b[31mb\\x1b]0;title\\x07c\\rd\\ne\\tf\\x00g\\x7fh\\x9bi\\u202ej\\u2066k\\u2028l\\u061c",
    );
  });

  test("leaves printable text alone, Unicode included", () => {
    expect(escapeControls("GET /search?q=café 東京 😀 \\x41 ' \" <script>")).toBe("GET /search?q=café 東京 😀 \\x41 ' \" <script>");
  });

  test("for any text: nothing dangerous is left, escaping twice changes nothing, and no other character changes", () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = escapeControls(text);
        expect(DANGEROUS.test(shown)).toBe(false);
        expect(escapeControls(shown)).toBe(shown);
        // Character by character: a dangerous one becomes one escape, every other one stays itself. (Comparing
        // the texts with escape-looking sequences taken out is not enough: taking a NUL out of "\\<NUL>t"
        // makes a new "\\t".)
        expect(shown).toBe(Array.from(text, (c) => escapeControls(c)).join(""));
        for (const c of text) {
          if (DANGEROUS.test(c)) expect(escapeControls(c)).toMatch(/^\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])$/);
          else expect(escapeControls(c)).toBe(c);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("safeJson", () => {
  test("is the same JSON value as JSON.stringify's, with nothing dangerous left raw", () => {
    fc.assert(
      fc.property(fc.record({ path: hostileText, list: fc.array(hostileText, { maxLength: 3 }), n: fc.integer() }), (value) => {
        for (const space of [undefined, 2]) {
          const text = safeJson(value, space);
          expect(DANGEROUS.test(text.replaceAll("\n", ""))).toBe(false);
          expect(JSON.parse(text)).toEqual(value);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("escapes U+2028, U+2029, DEL, C1 and bidi as \\uXXXX, which JSON.stringify leaves raw", () => {
    expect(JSON.stringify("\u2028\u2029\x7f\u0085\u202e")).toBe('"\u2028\u2029\x7f\u0085\u202e"');
    expect(safeJson("\u2028\u2029\x7f\u0085\u202e")).toBe('"\\u2028\\u2029\\u007f\\u0085\\u202e"');
  });
});
