/**
 * Line numbers for configuration errors. Bun's TOML parser gives neither the line of a syntax error nor
 * where a key was written, so both are found here from the text.
 */

function parses(text: string): boolean {
  try {
    Bun.TOML.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The line (1-based) of a TOML syntax error: the line after the longest run of whole lines, from the
 * top, that parses. Searched from the end, because a prefix that stops inside a multi-line array or
 * string fails too although the file is fine up to there. Null when the whole text parses.
 */
export function tomlErrorLine(text: string): number | null {
  const lines = text.split("\n");
  for (let n = lines.length; n >= 0; n--) {
    if (parses(lines.slice(0, n).join("\n"))) return n === lines.length ? null : n + 1;
  }
  return 1;
}

const HEADER = /^\s*\[\s*([A-Za-z0-9_-]+|"[^"]*")\s*\]\s*(#.*)?$/;
const KEY = /^\s*([A-Za-z0-9_.-]+|"[^"]*")\s*=/;
const unquote = (name: string) => name.replace(/^"(.*)"$/, "$1");

/**
 * Where each table and key of a file that parsed is written: "section" and "section.key" → line
 * (1-based). Only the shape Moat's file has (flat [section] tables, `key = value`, or a dotted
 * `section.key = value` at the top); a key it cannot place has no line, and its error still names the file.
 * The lines inside a multi-line string or array are skipped, so that their text is never taken for a key.
 */
export function keyLines(text: string): Map<string, number> {
  const found = new Map<string, number>();
  let section = "";
  let open: string | null = null; // the closing `"""`, `'''` or `]` of a value that spans lines
  text.split("\n").forEach((line, i) => {
    if (open) {
      if (line.includes(open)) open = null;
      return;
    }
    const header = HEADER.exec(line);
    if (header) {
      section = unquote(header[1]!);
      if (!found.has(section)) found.set(section, i + 1);
      return;
    }
    const key = KEY.exec(line);
    if (!key) return;
    const path = section ? `${section}.${unquote(key[1]!)}` : unquote(key[1]!);
    if (!found.has(path)) found.set(path, i + 1);
    const value = line.slice(key[0].length);
    const quotes = /("""|''')/.exec(value);
    if (quotes && value.split(quotes[1]!).length === 2) open = quotes[1]!;
    else if (/^\s*\[/.test(value) && !parses(`x = ${value}`)) open = "]";
  });
  return found;
}
