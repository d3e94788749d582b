/** Markdown tables for benchmark reports. */

export type Align = "left" | "right";

function cell(value: string | number): string {
  return String(value).replaceAll("|", "\\|").replaceAll("\n", " ");
}

/**
 * Renders rows as a GitHub-flavoured Markdown table, padded so that it also reads well as plain
 * text. `align` gives each column's alignment (default: left for the first column, right for the rest).
 */
export function markdownTable(headers: string[], rows: (string | number)[][], align?: Align[]): string {
  const cols = headers.length;
  const aligns: Align[] = headers.map((_, i) => align?.[i] ?? (i === 0 ? "left" : "right"));
  const texts = [headers.map(cell), ...rows.map((r) => Array.from({ length: cols }, (_, i) => cell(r[i] ?? "")))];
  const widths = headers.map((_, i) => Math.max(3, ...texts.map((r) => r[i]!.length)));
  const pad = (s: string, i: number) => (aligns[i] === "right" ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]) => `| ${r.map(pad).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (aligns[i] === "right" ? "-".repeat(w - 1) + ":" : "-".repeat(w))).join(" | ")} |`;
  return [line(texts[0]!), rule, ...texts.slice(1).map(line)].join("\n");
}

/** 1234567 → "1,234,567". */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
