/**
 * Reads the Markdown an evaluation report is (`moat eval` tables with a few lines of text) into rows
 * of plain text, for rendering as React elements: no HTML is ever produced from it.
 */
export type MarkdownBlock = { kind: "table"; header: string[]; rows: string[][] } | { kind: "text"; text: string };

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim().replace(/\*\*(.*?)\*\*/g, "$1").replace(/`([^`]*)`/g, "$1"));
}

const SEPARATOR = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/;

export function parseMarkdown(md: string): MarkdownBlock[] {
  const blocks: MarkdownBlock[] = [];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim().startsWith("|") && SEPARATOR.test(lines[i + 1]?.trim() ?? "")) {
      const header = cells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trim().startsWith("|")) rows.push(cells(lines[i++]!));
      i--;
      blocks.push({ kind: "table", header, rows });
    } else if (line.trim()) {
      blocks.push({ kind: "text", text: line.replace(/^#+\s*/, "").replace(/\*\*(.*?)\*\*/g, "$1") });
    }
  }
  return blocks;
}
