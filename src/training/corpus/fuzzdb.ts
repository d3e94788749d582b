/**
 * fuzzdb's attack lists (`<datasets>/fuzzdb/attack/...`) mapped to Moat's classes. Only lists whose
 * lines are attack values are taken: name lists (event handlers, HTML tags, commands, methods, header
 * names), single characters, file-upload samples, unicode and control-character tricks, format strings
 * and the mixed `all-attacks` lists are left out, because none of them is an attack of one class when
 * placed in a parameter.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AttackClass } from "../../detect/classes.ts";

interface FuzzdbList {
  /** A file, or a folder whose `.txt` files are all taken, relative to `fuzzdb/attack`. */
  path: string;
  cls: AttackClass;
  /** Turns a file line into a payload, or null to skip the line (documentation, other classes). */
  line?: (line: string) => string | null;
}

/** `Exploit String: <payload>` lines of the annotated XSS list; the other lines describe the payload. */
function exploitString(line: string): string | null {
  return line.startsWith("Exploit String: ") ? line.slice("Exploit String: ".length) : null;
}

/** xml-attacks.txt mixes XXE with XSS, SQLi and one-character probes: only entity declarations are XXE. Some lines are CSV-quoted. */
function entityDeclaration(line: string): string | null {
  const unquoted = line.startsWith('"') && line.endsWith('"') ? line.slice(1, -1).replaceAll('""', '"') : line;
  return /<!ENTITY/i.test(unquoted) ? unquoted : null;
}

const FUZZDB_LISTS: readonly FuzzdbList[] = [
  { path: "sql-injection", cls: "sqli" },
  { path: "xss/xss-other.txt", cls: "xss" },
  { path: "xss/xss-rsnake.txt", cls: "xss" },
  { path: "xss/XSSPolyglot.txt", cls: "xss" },
  { path: "xss/xss-uri.txt", cls: "xss" },
  { path: "xss/JHADDIX_XSS_WITH_CONTEXT.doc.txt", cls: "xss", line: exploitString },
  { path: "html_js_fuzz/HTML5sec_Injections.txt", cls: "xss" },
  { path: "path-traversal", cls: "traversal" },
  { path: "lfi/JHADDIX_LFI.txt", cls: "traversal" },
  { path: "os-cmd-execution/command-injection-template.txt", cls: "cmdi" },
  { path: "os-cmd-execution/command-execution-unix.txt", cls: "cmdi" },
  { path: "os-cmd-execution/OSCommandInject.Windows.txt", cls: "cmdi" },
  // Server-side includes run commands or read files on the server; Moat has no class of their own.
  { path: "server-side-include", cls: "cmdi" },
  { path: "xml/xml-attacks.txt", cls: "xxe", line: entityDeclaration },
  { path: "ldap", cls: "ldapi" },
  { path: "no-sql-injection", cls: "nosqli" },
  { path: "redirect/redirect-injection-template.txt", cls: "open-redirect" },
  { path: "rfi/rfi.txt", cls: "rfi" },
  { path: "xpath", cls: "xpath" },
  { path: "http-protocol/crlf-injection.txt", cls: "crlf" },
];

export interface ListLine {
  cls: AttackClass;
  /** `fuzzdb/<path>` or the payload list's name. */
  list: string;
  line: string;
}

function txtFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (path.endsWith(".txt")) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".txt")).sort().map((f) => join(path, f));
}

/** Every line of the mapped fuzzdb lists (none when the folder is missing). */
export function fuzzdbLines(datasets: string): ListLine[] {
  const root = join(datasets, "fuzzdb", "attack");
  const out: ListLine[] = [];
  for (const list of FUZZDB_LISTS) {
    for (const file of txtFiles(join(root, list.path))) {
      const name = `fuzzdb/${file.slice(root.length + 1)}`;
      for (const raw of readFileSync(file, "utf8").split("\n")) {
        const text = raw.replace(/\r$/, "");
        const line = list.line ? list.line(text) : text;
        if (line !== null && line.trim() !== "") out.push({ cls: list.cls, list: name, line });
      }
    }
  }
  return out;
}
