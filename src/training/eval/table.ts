/** Markdown output of the evaluation reports. */

/** A share as a percentage; "n/a" when there was nothing to divide. */
export function pct(part: number, whole: number, digits = 2): string {
  return whole && Number.isFinite(part / whole) ? `${((part / whole) * 100).toFixed(digits)}%` : "n/a";
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || /^[\d.,]+%?$|^n\/a$/.test(String(r[i]))));
  const cell = (v: string | number) => String(v).replaceAll("|", "\\|").replaceAll("\n", " ");
  return [
    `| ${header.join(" | ")} |`,
    `|${right.map((r) => (r ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}
