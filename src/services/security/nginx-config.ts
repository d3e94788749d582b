/**
 * A small nginx configuration parser: the file becomes a tree of directives, with every `include`
 * replaced by the directives of the files it names, each directive keeping the file and line it came
 * from. Tokenising follows nginx's own reader (ngx_conf_file.c) so that what nginx accepts parses the
 * same way here; what it rejects is reported as an NginxConfigError naming the file and line.
 */
import { realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";

export interface Directive {
  name: string;
  args: string[];
  /** Present for block directives (`http { … }`), even when the block is empty. */
  children?: Directive[];
  file: string;
  line: number;
}

export interface NginxConfig {
  /** Absolute path of the main configuration file. */
  file: string;
  /** Every file read, the main one first, in the order nginx reads them. */
  files: string[];
  directives: Directive[];
}

export class NginxConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    problem: string,
  ) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
    this.name = "NginxConfigError";
  }
}

/** Deeper includes are surely a mistake; the bound also keeps a runaway config from exhausting the stack. */
const MAX_INCLUDE_DEPTH = 32;
/** A file may be included many times (snippets), but fan-out at every level would grow exponentially. */
const MAX_FILES_READ = 5000;
/** Real configs nest a handful of blocks; the bound keeps recursion on hostile input finite. */
const MAX_BLOCK_DEPTH = 100;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

type Token = { kind: "word"; text: string; line: number } | { kind: ";" | "{" | "}"; line: number };

interface ParseState {
  /** Relative include paths resolve against the main file's directory, as nginx's conf prefix does. */
  confDir: string;
  files: string[];
}

/** Every directive called `name`, at any depth. */
export function findDirectives(directives: Directive[], name: string): Directive[] {
  return directives.flatMap((directive) => [...(directive.name === name ? [directive] : []), ...findDirectives(directive.children ?? [], name)]);
}

export async function parseNginxConfig(path: string): Promise<NginxConfig> {
  const file = resolve(path);
  const state: ParseState = { confDir: dirname(file), files: [] };
  const directives = await parseFile(file, state, [], null);
  return { file, files: state.files, directives };
}

/**
 * `chain` holds the real paths of the files being included into one another, to catch loops;
 * `includedBy` is the include directive that named this file (null for the main file), where problems
 * with the file itself are reported.
 */
async function parseFile(file: string, state: ParseState, chain: string[], includedBy: Directive | null): Promise<Directive[]> {
  const fail = (problem: string) =>
    includedBy ? new NginxConfigError(includedBy.file, includedBy.line, `include ${includedBy.args[0]}: ${file}: ${problem}`) : new NginxConfigError(file, null, problem);
  if (state.files.length >= MAX_FILES_READ) throw fail(`more than ${MAX_FILES_READ} files included in all`);
  let text: string;
  try {
    // A device or fifo (include /dev/zero) would never end; nginx configs are small regular files.
    const info = await stat(file);
    if (!info.isFile()) throw fail(info.isDirectory() ? "is a directory" : "is not a regular file");
    if (info.size > MAX_FILE_BYTES) throw fail(`larger than ${MAX_FILE_BYTES} bytes`);
    text = await Bun.file(file).text();
  } catch (error) {
    if (error instanceof NginxConfigError) throw error;
    throw fail(`cannot read (${describeFsError(error)})`);
  }
  const real = await realpath(file);
  if (chain.includes(real)) throw fail(`include loop: ${[...chain, real].join(" -> ")}`);
  if (chain.length >= MAX_INCLUDE_DEPTH) throw fail(`includes nested deeper than ${MAX_INCLUDE_DEPTH} files`);
  state.files.push(file);
  const directives = buildTree(tokenize(text, file), file);
  return resolveIncludes(directives, state, [...chain, real]);
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  return code ?? String(error);
}

async function resolveIncludes(directives: Directive[], state: ParseState, chain: string[]): Promise<Directive[]> {
  const resolved: Directive[] = [];
  for (const directive of directives) {
    if (directive.name === "include") {
      resolved.push(...(await expandInclude(directive, state, chain)));
    } else if (directive.children) {
      resolved.push({ ...directive, children: await resolveIncludes(directive.children, state, chain) });
    } else {
      resolved.push(directive);
    }
  }
  return resolved;
}

async function expandInclude(include: Directive, state: ParseState, chain: string[]): Promise<Directive[]> {
  const [pattern] = include.args;
  if (include.args.length !== 1 || pattern === undefined || include.children) {
    throw new NginxConfigError(include.file, include.line, `"include" takes exactly one file name`);
  }
  const directives: Directive[] = [];
  for (const file of await includedFiles(include, pattern, state.confDir)) directives.push(...(await parseFile(file, state, chain, include)));
  return directives;
}

/**
 * The files one `include` names, sorted as glob(3) returns them. Like nginx, a pattern with a wildcard
 * may match nothing, while a plain name must exist (checked when it is read).
 */
async function includedFiles(include: Directive, pattern: string, confDir: string): Promise<string[]> {
  const path = isAbsolute(pattern) ? pattern : join(confDir, pattern);
  const segments = path.split("/");
  const firstWild = segments.findIndex((segment) => /[*?[]/.test(segment));
  if (firstWild === -1) return [path];
  const base = segments.slice(0, firstWild).join("/") || "/";
  const glob = new Bun.Glob(segments.slice(firstWild).join("/"));
  try {
    const matches = await Array.fromAsync(glob.scan({ cwd: base, absolute: true, onlyFiles: false }));
    return matches.sort();
  } catch (error) {
    // glob(3) reports a missing directory as no match.
    const code = (error as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw new NginxConfigError(include.file, include.line, `include ${pattern}: cannot list ${base} (${describeFsError(error)})`);
  }
}

function buildTree(tokens: Token[], file: string): Directive[] {
  let next = 0;
  const readBlock = (opener: Directive | null, depth: number): Directive[] => {
    if (depth > MAX_BLOCK_DEPTH && opener) throw new NginxConfigError(file, opener.line, `blocks nested deeper than ${MAX_BLOCK_DEPTH}`);
    const directives: Directive[] = [];
    let words: { text: string; line: number }[] = [];
    while (next < tokens.length) {
      const token = tokens[next++]!;
      if (token.kind === "word") {
        words.push(token);
        continue;
      }
      if (token.kind === "}") {
        if (words.length > 0 || !opener) throw new NginxConfigError(file, token.line, `unexpected "}"`);
        return directives;
      }
      const [name, ...args] = words;
      if (!name) throw new NginxConfigError(file, token.line, `unexpected "${token.kind}"`);
      const directive: Directive = { name: name.text, args: args.map((word) => word.text), file, line: name.line };
      if (token.kind === "{") directive.children = readBlock(directive, depth + 1);
      directives.push(directive);
      words = [];
    }
    const lastLine = tokens.at(-1)?.line ?? 1;
    if (words.length > 0) throw new NginxConfigError(file, lastLine, `unexpected end of file, expecting ";" or "}"`);
    if (opener) throw new NginxConfigError(file, opener.line, `"${opener.name}" block is never closed (missing "}")`);
    return directives;
  };
  return readBlock(null, 0);
}

const isSpace = (ch: string | undefined) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";

/**
 * nginx's lexical rules: words end at whitespace, ";" or "{" ("}" and "#" inside a word are literal),
 * "${" inside a word is a variable, not a block; "#" starts a comment only where a word could start;
 * a quoted word must be followed by whitespace, ";", "{" or ")".
 */
function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let at = 0;
  const countLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (text[i] === "\n") line++;
  };
  while (at < text.length) {
    const ch = text[at]!;
    if (isSpace(ch)) {
      if (ch === "\n") line++;
      at++;
    } else if (ch === "#") {
      const end = text.indexOf("\n", at);
      at = end === -1 ? text.length : end;
    } else if (ch === ";" || ch === "{" || ch === "}") {
      tokens.push({ kind: ch, line });
      at++;
    } else {
      const startLine = line;
      const end = ch === '"' || ch === "'" ? quotedWordEnd(text, at, file, startLine) : bareWordEnd(text, at);
      const raw = ch === '"' || ch === "'" ? text.slice(at + 1, end - 1) : text.slice(at, end);
      tokens.push({ kind: "word", text: unescape(raw), line: startLine });
      countLines(at, end);
      at = end;
    }
  }
  return tokens;
}

function bareWordEnd(text: string, start: number): number {
  let at = start;
  while (at < text.length) {
    const ch = text[at];
    if (ch === "\\") at += 2;
    else if (ch === "{" && text[at - 1] === "$" && at > start) at++;
    else if (isSpace(ch) || ch === ";" || ch === "{") break;
    else at++;
  }
  return Math.min(at, text.length);
}

/** Index just past the closing quote. */
function quotedWordEnd(text: string, start: number, file: string, line: number): number {
  const quote = text[start];
  let at = start + 1;
  while (at < text.length && text[at] !== quote) at += text[at] === "\\" ? 2 : 1;
  if (at >= text.length) throw new NginxConfigError(file, line, `unexpected end of file in a string opened with ${quote}`);
  const after = text[at + 1];
  if (after !== undefined && !isSpace(after) && after !== ";" && after !== "{" && after !== ")") {
    const afterLine = line + (text.slice(start, at).match(/\n/g)?.length ?? 0);
    throw new NginxConfigError(file, afterLine, `unexpected "${after}" after a quoted string`);
  }
  return at + 1;
}

/** The escapes nginx decodes in every word; any other backslash stays (regexes rely on that). */
function unescape(raw: string): string {
  return raw.replace(/\\(["'\\tnr])/g, (_, ch: string) => ({ t: "\t", n: "\n", r: "\r" })[ch] ?? ch);
}
