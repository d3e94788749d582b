/** The dashboard's pure helpers: shell quoting for "copy as curl", evidence spans, evaluation tables. */
import { describe, expect, test } from "bun:test";
import { curlCommand, shellQuote } from "../../src/dashboard/lib/curl.ts";
import { splitBySpans, spansOf } from "../../src/dashboard/lib/highlight.ts";
import { parseMarkdown } from "../../src/dashboard/lib/markdown-table.ts";
import { OWN_XSS_PAYLOADS } from "./xss-payloads.ts";

const NASTY = [...OWN_XSS_PAYLOADS, "it's", "'", "''", "\\'", "$(touch /tmp/moat-pwned)", "`id`", "${HOME}", "a\nb\r\nc", "tab\there", "; rm -rf / #", "ünïcödé ✓", "\u202eevil", "--help", "-X DELETE"];

describe("shellQuote", () => {
  test("a POSIX shell reads back exactly the string, whatever it holds", () => {
    for (const s of NASTY) {
      const r = Bun.spawnSync(["sh", "-c", `printf '%s' ${shellQuote(s)}`], { stdout: "pipe", stderr: "pipe" });
      expect({ s, out: r.stdout.toString() }).toEqual({ s, out: s });
    }
  });

  test("drops NUL bytes, which no shell argument can hold", () => {
    expect(shellQuote("a\0b")).toBe("'ab'");
  });
});

describe("curlCommand", () => {
  test("every part is one shell word: the shell hands curl exactly the method, headers, body and URL", () => {
    const request = { raw: "", method: "POST", path: "/login'$(id)", query: "next=`id`&q=<script>", headers: { host: "shop.test", "user-agent": "x'; rm -rf / #", "content-length": "9" }, body: "user=a'b\nc" };
    const command = curlCommand(request);
    // Replace curl by a printer of its arguments, each ended by a NUL.
    const r = Bun.spawnSync(["bash", "-c", `curl() { for a in "$@"; do printf '%s\\0' "$a"; done; }; ${command}`], { stdout: "pipe" });
    expect(r.stdout.toString().split("\0").slice(0, -1)).toEqual(["-g", "--path-as-is", "-X", "POST", "-H", "user-agent: x'; rm -rf / #", "--data-raw", "user=a'b\nc", "http://shop.test/login'$(id)?next=`id`&q=<script>"]);
  });

  test("without a logged host, it says localhost for the operator to replace", () => {
    expect(curlCommand({ raw: "", method: "GET", path: "/x", query: "", headers: {}, body: null })).toBe("curl -g --path-as-is 'http://localhost/x'");
  });
});

describe("highlighting", () => {
  test("overlapping spans merge and the pieces put the text back together", () => {
    const text = "GET /search?q=<script>alert(1)</script>";
    const pieces = splitBySpans(text, [...spansOf(text, ["<script>", "alert(1)"]), { start: 14, end: 20 }, { start: 99, end: 120 }]);
    expect(pieces.map((p) => p.text).join("")).toBe(text);
    expect(pieces.filter((p) => p.marked).map((p) => p.text)).toEqual(["<script>alert(1)"]);
  });

  test("every occurrence is found, and an empty needle finds nothing", () => {
    expect(spansOf("a-b-a", ["a", ""])).toEqual([
      { start: 0, end: 1 },
      { start: 4, end: 5 },
    ]);
  });
});

describe("parseMarkdown", () => {
  test("reads `moat eval` tables and text lines as plain cells", () => {
    const md = "## Regression gate\n\n| group | n | **TPR** |\n|---|--:|---:|\n| overall | 61065 | `98.50%` |\n| xss | 10 | 100.00% |\n\nThreshold 0.095.";
    expect(parseMarkdown(md)).toEqual([
      { kind: "text", text: "Regression gate" },
      { kind: "table", header: ["group", "n", "TPR"], rows: [["overall", "61065", "98.50%"], ["xss", "10", "100.00%"]] },
      { kind: "text", text: "Threshold 0.095." },
    ]);
  });
});
