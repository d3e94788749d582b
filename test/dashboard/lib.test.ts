/** The dashboard's pure helpers: shell quoting for "copy as curl", evidence spans, chart ticks, the default range, evaluation tables. */
import { describe, expect, test } from "bun:test";
import { curlCommand, shellQuote } from "../../src/dashboard/lib/curl.ts";
import { evidenceSpans, splitBySpans, spansOf } from "../../src/dashboard/lib/highlight.ts";
import { score } from "../../src/dashboard/lib/format.ts";
import { fromDataStart, rangeHolding } from "../../src/dashboard/lib/range.ts";
import { tickLabels, valueLabel } from "../../src/dashboard/lib/ticks.ts";
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

  test("the host comes from the log's host field, else the Host header", () => {
    const request = { raw: "", method: "GET", path: "/x", query: "", headers: { host: "header.test" }, body: null };
    expect(curlCommand({ ...request, host: "shop.test" })).toBe("curl -g --path-as-is 'http://shop.test/x'");
    expect(curlCommand(request)).toBe("curl -g --path-as-is 'http://header.test/x'");
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

describe("evidence in the raw request", () => {
  const raw = 'GET /my_shop/search?user_name=a_b&q=x HTTP/1.1" 200 5 "-" "curl_7"';

  test("a one-character evidence (a novel character class) marks it in its field only, not every `_` of the request", () => {
    const spans = evidenceSpans(raw, [{ field: "query.user_name", evidence: "_" }], [{ field: "query.user_name", raw: "a_b" }]);
    expect(splitBySpans(raw, spans).filter((p) => p.marked)).toEqual([{ text: "_", marked: true }]);
    expect(spans).toEqual([{ start: raw.indexOf("a_b") + 1, end: raw.indexOf("a_b") + 2 }]);
  });

  test("a located span is marked at its place in the field's value", () => {
    const at = raw.indexOf("q=x") + 2;
    expect(evidenceSpans(raw, [{ field: "query.q", evidence: "x", start: 0, end: 1 }], [{ field: "query.q", raw: "x" }])).toEqual([{ start: at, end: at + 1 }]);
  });

  test("a field not found in the request falls back to searching the whole request, for evidence long enough to mean something", () => {
    expect(evidenceSpans(raw, [{ field: "body.k", evidence: "search" }], [])).toEqual([{ start: raw.indexOf("search"), end: raw.indexOf("search") + 6 }]);
    expect(evidenceSpans(raw, [{ field: "body.k", evidence: "_" }], [])).toEqual([]);
  });
});

describe("chart numbers", () => {
  test("ticks get the decimals their step needs: response times under a millisecond do not read 1, 1, 0", () => {
    expect(tickLabels([0, 0.2, 0.4, 0.6, 0.8, 1], "ms")).toEqual(["0.0 ms", "0.2 ms", "0.4 ms", "0.6 ms", "0.8 ms", "1.0 ms"]);
    expect(tickLabels([0, 0.25, 0.5], "count")).toEqual(["0.00", "0.25", "0.50"]);
    expect(tickLabels([0, 5000, 10000])).toEqual(["0", "5,000", "10,000"]);
  });

  test("milliseconds become seconds once the axis reaches a second; percents keep their sign", () => {
    expect(tickLabels([0, 500, 1000, 1500], "ms")).toEqual(["0.0 s", "0.5 s", "1.0 s", "1.5 s"]);
    expect(tickLabels([0, 20, 40], "%")).toEqual(["0%", "20%", "40%"]);
  });

  test("float noise does not add decimals", () => {
    expect(tickLabels([0.1 + 0.2, 0.6000000000000001], "count")).toEqual(["0.3", "0.6"]);
  });

  test("legend values: a gap is a dash, not 0", () => {
    expect(valueLabel(null)).toBe("–");
    expect(valueLabel(0.4213, "ms")).toBe("0.42 ms");
    expect(valueLabel(1234.5678)).toBe("1,234.57");
  });

  test("scores and thresholds show three decimals at most", () => {
    expect(score(0.3402205109596253)).toBe("0.34");
    expect(score(0.9)).toBe("0.9");
    expect(score(0.12345)).toBe("0.123");
  });
});

describe("the default range", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  const ago = (ms: number) => new Date(now - ms).toISOString();
  test("is the smallest range holding the data, so that a young install's charts are not a spike", () => {
    expect(rangeHolding(ago(20 * 60_000), now)).toBe("1h");
    expect(rangeHolding(ago(5 * 3_600_000), now)).toBe("6h");
    expect(rangeHolding(ago(3 * 86_400_000), now)).toBe("7d");
    expect(rangeHolding(ago(400 * 86_400_000), now)).toBe("30d");
    expect(rangeHolding(null, now)).toBe("1h");
  });

  test("charts start at the bucket the data begins in, keeping two points at least", () => {
    const points = Array.from({ length: 6 }, (_, i) => ({ date: new Date(now + i * 600_000).toISOString(), n: i }));
    expect(fromDataStart(points, now + 25 * 60_000).map((p) => p.n)).toEqual([2, 3, 4, 5]);
    expect(fromDataStart(points, now + 99 * 3_600_000).map((p) => p.n)).toEqual([4, 5]);
    expect(fromDataStart(points, null)).toBe(points);
    expect(fromDataStart(points, now - 3_600_000)).toBe(points);
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
