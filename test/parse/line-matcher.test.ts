/**
 * Matching a line against any `log_format` takes work linear in the line (issue 12, item 5). Work
 * is counted in matcher steps, never timed: the linear program is checked against its bound, and
 * for the formats left to the JavaScript regex the same program run without memoization (which is
 * how a backtracking engine runs) shows that the regex stays linear too.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isParseError } from "../../src/core/http-request.ts";
import { backtracksLinearly, lineMatcher, linearMatcher, type FormatPart } from "../../src/parse/line-matcher.ts";
import { COMBINED_FORMAT, compileLogFormat, formatParts, type Escape } from "../../src/parse/log-format.ts";
import { compileProgram, regexSource, runProgram } from "../../src/parse/pattern.ts";

const origin = { source: "test", line: 1 };
const ISSUE_FORMAT = "$remote_addr $host $upstream_addr $request_uri $http_user_agent [$time_local] $status";
const ISSUE_LINE = `203.0.113.67 ${"a ".repeat(700)}no-bracket 200`;

/** The JavaScript regex of `parts`, anchored at the start. */
const regexOf = (parts: FormatPart[]) => `^${parts.map((p) => (p.capture ? `(${regexSource(p.pattern)})` : regexSource(p.pattern))).join("")}`;

/** Steps of the linear program over `text`, for the whole format and for every prefix of it (the diagnosis). */
function linearSteps(parts: FormatPart[], text: string): { steps: number; bound: number }[] {
  return [compileProgram(parts, true), ...parts.map((_, k) => compileProgram(parts.slice(0, k + 1), false))].map((prog) => {
    const work = { steps: 0 };
    runProgram(prog, text, work);
    return { steps: work.steps, bound: 2 * prog.op.length * (text.length + 1) };
  });
}

/** Steps a backtracking engine takes over `text`: the program without memoization, stopped at `maxSteps`. */
function backtrackingSteps(parts: FormatPart[], text: string, maxSteps: number): number {
  const work = { steps: 0, maxSteps };
  runProgram(compileProgram(parts, true), text, work, false);
  return work.steps;
}

describe("the log_format from issue 12", () => {
  const parts = formatParts(ISSUE_FORMAT);

  test("goes to the linear matcher, which answers the line with a reason", () => {
    expect(backtracksLinearly(parts)).toBe(false);
    expect(lineMatcher(parts).engine).toBe("linear");
    const r = compileLogFormat({ name: "nginx", format: ISSUE_FORMAT }).parse(ISSUE_LINE, origin);
    expect(isParseError(r) && r.reason).toBe('expected " [" at column 19, found "a a a a a a a a a a "');
    const ok = compileLogFormat({ name: "nginx", format: ISSUE_FORMAT }).parse("203.0.113.67 shop.test 10.0.0.2:80 /a?b=1 curl/8 x [24/Nov/2026:11:54:54 +0000] 200", origin);
    expect(isParseError(ok) ? ok.reason : ok.extra).toEqual({ upstream_addr: "10.0.0.2:80" });
  });

  test("its work stays within the linear bound, where backtracking goes far past it", () => {
    for (const { steps, bound } of linearSteps(parts, ISSUE_LINE)) expect(steps).toBeLessThanOrEqual(bound);
    const bound = 2 * compileProgram(parts, true).op.length * (ISSUE_LINE.length + 1);
    expect(backtrackingSteps(parts, ISSUE_LINE, 100 * bound)).toBeGreaterThan(100 * bound);
  });
});

describe("any log_format", () => {
  const KNOWN = ["status", "body_bytes_sent", "request_time", "msec", "time_local", "time_iso8601", "remote_addr", "server_protocol"];
  const UNKNOWN = ["host", "request", "request_uri", "http_user_agent", "upstream_addr", "remote_user", "request_body"];
  const SEPARATORS = [" ", '"', '" "', " [", "] ", "-", ":", "|", ",", " - ", "a", '":"', '","', "\\"];
  const piece = fc.oneof(
    fc.constantFrom(...KNOWN, ...UNKNOWN).map((name) => `$${name}`),
    fc.constantFrom(...SEPARATORS),
  );
  const format = fc.array(piece, { minLength: 1, maxLength: 12 })
    .map((pieces) => pieces.join(""))
    .filter((f) => f.includes("$"));
  const escape = fc.constantFrom<Escape>("default", "json", "none", "apache");
  /** Lines built from the format's own separators and a few characters, repeated: what makes backtracking explode. */
  const line = fc.tuple(
    fc.array(fc.constantFrom(...SEPARATORS, "1", "200", "0.5", "24/Nov/2026:11:54:54 +0000", "x"), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 1, max: 120 }),
    fc.string({ maxLength: 6 }),
  ).map(([unit, times, tail]) => unit.join("").repeat(times) + tail);

  test("the linear matcher's steps stay within program length × line length, also on the diagnosis", () => {
    fc.assert(
      fc.property(format, escape, line, (f, e, text) => {
        for (const { steps, bound } of linearSteps(formatParts(f, e), text)) expect(steps).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 300 },
    );
  });

  test("the formats left to the regex engine make it backtrack linearly", () => {
    fc.assert(
      fc.property(format, escape, line, (f, e, text) => {
        const parts = formatParts(f, e);
        fc.pre(backtracksLinearly(parts));
        // Weber–Seidl bound: a few runs per state and position; 8 leaves room for the alternatives.
        const bound = 8 * compileProgram(parts, true).op.length * (text.length + 1);
        expect(backtrackingSteps(parts, text, bound + 1)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 300 },
    );
  });

  test("both engines find the same fields", () => {
    const validish = fc.tuple(format, escape, fc.array(fc.constantFrom(...SEPARATORS, "1", "200", "0.5", "x", "\\\""), { maxLength: 10 }));
    fc.assert(
      fc.property(validish, ([f, e, pieces]) => {
        const parts = formatParts(f, e);
        const text = pieces.join("").slice(0, 24); // short enough for the regex on any format
        const linear = linearMatcher(parts);
        const regex = new RegExp(`${regexOf(parts)}$`, "d").exec(text);
        const found = linear.match(text, true);
        expect<unknown>(found && { values: found.values, spans: found.spans }).toEqual(regex && { values: regex.slice(1), spans: regex.indices!.slice(1) });
        for (let k = 1; k <= parts.length; k++) {
          expect(linear.prefixEnd(text, k)).toBe(new RegExp(regexOf(parts.slice(0, k))).exec(text)?.[0].length ?? -1);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("combined, json and the stock formats stay on the regex engine", () => {
    expect(lineMatcher(formatParts(COMBINED_FORMAT)).engine).toBe("regex");
    expect(lineMatcher(formatParts('{"t":"$time_iso8601","u":"$request_uri","ua":"$http_user_agent","s":$status}', "json")).engine).toBe("regex");
  });
});
