/**
 * Code in the application's own language: PHP (tags, calls of functions that run commands or code
 * with a real argument, superglobals, `{${...}}` interpolation), Node.js (`child_process`,
 * `process.mainModule`, sandbox escapes, prototype pollution keys), Java (`Runtime.exec`,
 * `ProcessBuilder`, Spring's `class.module.classLoader` property paths, `Class.forName`), Python
 * (`__import__`, `os.system`, `subprocess`) and Ruby (`Kernel.exec`, `%x()`, `IO.popen`).
 * A function name alone is a word (`system(s)`, `the eval`): a call counts when its argument is code
 * (a string, a variable, another call, or a command for a function that runs one: `system(whoami)`,
 * which PHP before 8 reads as the string), or when the function needs none (`phpinfo()`).
 */
import type { Leaf } from "../../decompose/leaf.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { commandOf } from "./shell.ts";
import { finding, isSpaceCode, isWideSpace, isWordCode, strongestPerRule } from "./text.ts";

/** PHP functions by what a call of them does, with the strength of a call with a code argument. */
const PHP_CALLS = new Map<string, number>([
  ...["system", "passthru", "shell_exec", "exec", "popen", "proc_open", "pcntl_exec", "eval", "assert", "create_function"].map((f) => [f, 0.9] as const),
  ...["file_get_contents", "file_put_contents", "fopen", "readfile", "include", "include_once", "require", "require_once", "highlight_file", "show_source", "unserialize", "preg_replace", "call_user_func", "call_user_func_array", "array_map", "usort"].map((f) => [f, 0.75] as const),
  ...["base64_decode", "str_rot13", "gzinflate", "gzuncompress", "hex2bin", "chr"].map((f) => [f, 0.6] as const),
]);
/** Functions whose call without arguments is already the probe. */
const NO_ARG_PROBES = new Map<string, number>([["phpinfo", 0.85], ["phpversion", 0.8], ["getcwd", 0.6], ["php_uname", 0.85], ["get_current_user", 0.7]]);

/**
 * PHP built-ins that no prose, and no other common language, names: a call of one is PHP code whatever
 * its argument (`base64_decode(`, `posix_getpwuid('x')`, `fsockopen()`).
 */
const PHP_ONLY = new Set(
  `base64_decode str_rot13 gzinflate gzuncompress gzdecode bzdecompress zlib_decode fsockopen pfsockopen stream_socket_client
  curl_init curl_exec shell_exec proc_open proc_close pcntl_exec pcntl_fork get_defined_functions get_defined_vars
  get_defined_constants ini_set ini_get_all set_time_limit file_get_contents file_put_contents move_uploaded_file
  highlight_file show_source php_uname phpinfo call_user_func call_user_func_array create_function assert_options
  preg_replace_callback array_walk_recursive register_shutdown_function register_tick_function var_dump print_r var_export
  error_reporting stream_get_contents parse_ini_file readline_callback_handler_install dl ob_start`.split(/\s+/).filter(Boolean),
);
/** A family prefix that only PHP's built-ins carry. */
const PHP_ONLY_PREFIX = /^(?:posix|pcntl|proc|mysqli?|pg|sqlite|curl|gz|bz|zlib|xmlrpc|apache|iconv|mb|openssl)_\w+$/;
const PHP_CALL_STRENGTH = 0.8;

const CALL = /(?<![\w$>.])@?([a-z_][a-z0-9_]*)\s*(?:\/\*[^*]{0,80}\*\/\s*)?\(\s*(.?)/gi;

/**
 * A Ruby string or word list written with `%`, its letter and any delimiter (`%q(...)`, `%Q{...}`,
 * `%w[...]`, `%q/.../`). Not Python's `%(name)s`, which has no letter.
 */
const RUBY_PERCENT_LITERAL = /^%[qQwW][^\w\s]/;

/** `\\s` as a regex reads it: ASCII and Unicode spaces. */
const isRegexSpace = (c: number) => isSpaceCode(c) || isWideSpace(c);

function knownCallee(name: string): boolean {
  return NO_ARG_PROBES.has(name) || PHP_ONLY.has(name) || PHP_ONLY_PREFIX.test(name) || PHP_CALLS.has(name);
}

/**
 * Whether a word before some `(` (across spaces) is a function `phpCalls` knows, or a comment stands
 * between: the calls it can find are among these, and most values call nothing it knows.
 */
function mayCallKnown(s: string): boolean {
  for (let p = s.indexOf("("); p !== -1; p = s.indexOf("(", p + 1)) {
    let end = p;
    while (end > 0 && isRegexSpace(s.charCodeAt(end - 1))) end--;
    if (end >= 2 && s.charCodeAt(end - 1) === 47 && s.charCodeAt(end - 2) === 42) return true; // `name/*...*/(`
    let start = end;
    while (start > 0 && isWordCode(s.charCodeAt(start - 1))) start--;
    if (start < end && knownCallee(s.slice(start, end).toLowerCase())) return true;
  }
  return false;
}

function phpCalls(s: string, out: Finding[]): void {
  if (!mayCallKnown(s)) return;
  for (const m of s.matchAll(CALL)) {
    const name = m[1]!.toLowerCase();
    const next = m[2]!;
    const noArg = NO_ARG_PROBES.get(name);
    if (noArg !== undefined && next === ")") {
      out.push(finding("code-injection", "code.php-probe", noArg, m.index, m.index + m[0].length));
      continue;
    }
    if (PHP_ONLY.has(name) || PHP_ONLY_PREFIX.test(name)) {
      out.push(finding("code-injection", "code.php-call", Math.max(PHP_CALL_STRENGTH, PHP_CALLS.get(name) ?? 0), m.index, m.index + m[0].length));
      continue;
    }
    const strength = PHP_CALLS.get(name);
    if (strength === undefined) continue;
    // The argument is code: a string, a variable, a command in backticks, or another call.
    let codeArg = next === "'" || next === '"' || next === "$" || next === "`";
    const rest = s.slice(m.index + m[0].length - 1, m.index + m[0].length + 40);
    if (!codeArg && /[a-z_]/i.test(next)) codeArg = /^[a-z_][a-z0-9_]*\s*\(/i.test(rest);
    // Ruby's percent literals given a command runner: `system(%q(id))`, `exec(%w[cat /etc/passwd])`.
    if (!codeArg && next === "%" && RUNS_COMMAND.has(name)) codeArg = RUBY_PERCENT_LITERAL.test(rest);
    if (codeArg) out.push(finding("code-injection", "code.php-call", strength, m.index, m.index + m[0].length));
    else if (RUNS_COMMAND.has(name)) {
      const command = commandArgument(rest);
      if (command) out.push(finding("code-injection", "code.php-command", command === "tool" ? 0.85 : 0.7, m.index, m.index + m[0].length + rest.indexOf(")")));
    }
  }
}

/**
 * A value that ends the statement it lands in and makes a call as one of its own (`;print(md5(1));`,
 * `';die(md5(x));$a='`, `1;foo(1);`), or joins one to the string it closed, its only quote
 * (`'.exit(md5(x));//`, `'.print(md5(1)).'`; not a string's method, `"".join(parts);`): what reaches
 * an `eval` of a string the value is spliced into, in PHP, Perl or JavaScript alike, and how scanners
 * confirm one (the hash of a marker printed back). A short token and a closing quote or bracket may
 * come first; the call follows the `;` at once, as code written to be short does (prose puts a space
 * there: `Tom; Jerry(cat);`), and ends its statement too, or joins the string again. No benign corpus
 * value starts so. A call of a call or of a variable is code for sure. (Each space run has one place to
 * go: a long run of spaces before `(;` costs one pass, not a cubic backtrack.)
 */
const STATEMENT_CALL = /^\s*(?:(?:[\w'"]{1,12}\s*)?(?:\)+\s*)?;|\w{0,12}['"]\.)[A-Za-z_]\w*\(\s*(\$|[A-Za-z_]\w*\s*\()?[^;]{0,256}\)\s*(?:;|\.\s*['"])/;

function statementCall(s: string, out: Finding[]): void {
  const m = STATEMENT_CALL.exec(s);
  // The evidence starts at the separator: what comes before it (a short token, a quote) is no code.
  if (m) out.push(finding("code-injection", "code.statement-call", m[1] ? 0.85 : 0.75, m[0].search(/[;.]/), m[0].length));
}

/** PHP functions that hand their argument to a shell. */
const RUNS_COMMAND = new Set(["system", "passthru", "shell_exec", "exec", "popen", "proc_open", "pcntl_exec"]);
/** A bare word and the call's end: `whoami)`, `/usr/bin/id )`. */
const BARE_WORD_ARGUMENT = /^([\w./\\-]{1,40})\s*\)/;

/** The tier of a command that stands bare as a call's whole argument (`system(whoami)`), or null. */
function commandArgument(rest: string): "tool" | "word" | null {
  const m = BARE_WORD_ARGUMENT.exec(rest);
  const tier = m ? commandOf(m[1]!)?.tier : undefined;
  return tier === "tool" ? "tool" : tier ? "word" : null;
}

/** Functions that run commands or code: the callee a dynamic PHP call spells. */
const DANGEROUS_CALLEE = "system|exec|passthru|shell_exec|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func|phpinfo|base64_decode";

/**
 * PHP calls whose callee is computed: a variable (`$a(1)`, `@$__[o](4)`, `${'a'}(1)`, `$__[$_[1]](7)`, with
 * comments of any of PHP's three kinds between its parts), or a dangerous
 * name in quotes, parentheses or an array (`"system"(ls)`, `(system)(ls)`, `[system][0](ls)`), or
 * glued from strings (`'sys'.'tem'`, `(sy.(st).em)(`). PHP runs these; prose and other languages do not write them.
 */
const VARIABLE_CALL = /(?:^|[\s;=(,{@!])@?\$+(?:\{[^}\n]{1,40}\}|[a-z_]\w{0,40})(?:\s*(?:\[(?:[^[\]\n]|\[[^[\]\n]{0,40}\]){0,40}\]|\{[^}\n]{0,40}\})|\s*\/\*[^*]{0,40}\*\/|\s*(?:#|\/\/)[^\n]{0,40}\n){0,6}\s*\(/gi;
const QUOTED_CALLEE = new RegExp(`(?:["'(\\[]\\s*){1,2}(?:${DANGEROUS_CALLEE})\\s*(?:["')\\]]\\s*){1,2}(?:\\s*\\[\\s*\\d+\\s*\\])*\\s*(?:\\/\\*[^*]{0,40}\\*\\/\\s*)?\\(`, "gi");
const BARE_ARGUMENT = /^\s*[\w.-]{1,40}\s*\)/;
/**
 * XSLT's call of a PHP function by name (`php:function('system','id')` in a stylesheet's `select`,
 * under whatever prefix the stylesheet binds PHP's namespace to, `functionString` too): how a
 * stylesheet the client sends runs a command where PHP registered its functions for XSLT.
 */
const XSLT_PHP_FUNCTION = new RegExp(`(?<=[\\w.-]):function(?:String)?\\s*\\(\\s*["'](?:${DANGEROUS_CALLEE}|file_get_contents|file_put_contents|readfile|fopen|include|require)["']`, "i");
/**
 * A callee spelled by PHP's bitwise NOT of a string of high bytes (`(~%8C%86%8C%8B%9A%92)(~%96%9B)` is
 * `system('id')`): a name that never shows a letter. Only PHP calls a negated string. The bytes as a
 * request's text holds them: Latin-1 or Windows-1252 characters, or the replacement character.
 */
const HIGH_BYTE = "\\u0080-\\u00ff\\u0152\\u0153\\u0160\\u0161\\u0178\\u017d\\u017e\\u0192\\u02c6\\u02dc\\u2013\\u2014\\u2018-\\u201e\\u2020-\\u2022\\u2026\\u2030\\u2039\\u203a\\u20ac\\u2122\\ufffd";
const NEGATED_CALLEE = new RegExp(`\\(\\s*~\\s*['"]?[${HIGH_BYTE}]{2,24}['"]?\\s*\\)\\s*\\(`);
const GLUED_NAME = /(['"])([a-z_]{1,12})\1\s*\.\s*(['"])([a-z_]{1,12})\3/gi;
/**
 * A callee in parentheses glued from pieces, bare or quoted, some in parentheses of their own
 * (`(sy.(st).em)('id')`: PHP 7 reads an unknown bare word as its own name in a string), then called.
 * Bounded runs between the pieces keep a value of many `(` linear.
 */
const GLUED_CALLEE = /\(((?:[\s'"(]{0,3}[a-z_]{1,12}[\s'")]{0,3}\.){1,8}[\s'"(]{0,3}[a-z_]{1,12}[\s'")]{0,3})\)\s{0,8}(?:\/\*[^*]{0,40}\*\/\s{0,8})?\(/gi;
/**
 * A callee in parentheses built from character codes, quoted pieces among them, then called:
 * `(chr(115).chr(121).chr(115).chr(116).chr(101).chr(109))(chr(105).chr(100))` is `system('id')`.
 */
const CHR_PIECE = String.raw`(?:chr\s{0,3}\(\s{0,3}(?:0x[0-9a-f]{1,2}|\d{1,4})\s{0,3}\)|['"][a-z_]{0,12}['"])`;
const CHR_CALLEE = new RegExp(String.raw`\(((?:\s{0,3}${CHR_PIECE}\s{0,3}\.){1,24}\s{0,3}${CHR_PIECE}\s{0,3})\)\s{0,8}(?:\/\*[^*]{0,40}\*\/\s{0,8})?\(`, "gi");

/** The name a CHR_CALLEE's pieces spell: PHP's chr() takes its code modulo 256. */
function chrName(pieces: string): string {
  return pieces.replace(/chr\s*\(\s*(0x[0-9a-f]+|\d+)\s*\)|['"\s.]/gi, (_, code: string | undefined) => (code === undefined ? "" : String.fromCharCode(Number(code) % 256))).toLowerCase();
}

/** A `)` then a `(`, blanks or a comment between: where a parenthesised callee is called. */
const CALL_AFTER_PARENTHESIS = /\)\s{0,8}(?:\/\*[^*]{0,40}\*\/\s{0,8})?\(/;
const DANGEROUS_NAMES = new Set(DANGEROUS_CALLEE.split("|"));
const DANGEROUS_BY_FIRST = Map.groupBy(DANGEROUS_NAMES, (name) => name.charCodeAt(0));

function skipSpaces(s: string, i: number): number {
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

/** Whether a dangerous callee's name follows a quote or bracket (across spaces), as in every `QUOTED_CALLEE`. */
function mayQuoteCallee(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 34 && c !== 39 && c !== 40 && c !== 91) continue;
    let j = i + 1;
    while (j < s.length && isRegexSpace(s.charCodeAt(j))) j++;
    const names = DANGEROUS_BY_FIRST.get(s.charCodeAt(j) | 32);
    if (names) for (const name of names) if (startsWithFold(s, j, name)) return true;
  }
  return false;
}

/** Whether `word` (lower case) starts at `at` in `s`, in any ASCII case; may say yes for a control character in place of a digit, never no wrongly. */
function startsWithFold(s: string, at: number, word: string): boolean {
  if (at + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) if ((s.charCodeAt(at + k) | 32) !== (word.charCodeAt(k) | 32)) return false;
  return true;
}

/**
 * `$f(x)$`, `$P(A \mid B) = 0.3$`: LaTeX's inline math, which a `$` closes later on the same line (no
 * name after it) with no statement's `;` before it, around a call whose argument holds no PHP (no quote, variable,
 * backtick or `@`). A PHP call of a variable takes a string or a variable (`$a('id')`, `$a($_GET[1])`).
 */
const MATH_BREAKERS = /[;\n#]|\/\*|\/\/|\?>/;

function inlineMath(s: string, argAt: number): boolean {
  const arg = s.charCodeAt(argAt);
  if (arg === 39 || arg === 34 || arg === 36 || arg === 96 || arg === 64) return false;
  const close = s.indexOf("$", argAt);
  // A `$` that opens a name (`$_POST`) is PHP's variable, not the math's end.
  if (close === -1 || /[\w$]/.test(s.charAt(close + 1))) return false;
  // No statement's end, line end or comment before the math's close (`$a(id)/*$*/` is PHP's).
  return !MATH_BREAKERS.test(s.slice(argAt, close));
}

function phpDynamicCalls(s: string, out: Finding[]): void {
  VARIABLE_CALL.lastIndex = 0;
  // The first call that is no inline math's (`$f(x)$ $$b(id)`: the second is PHP's).
  for (let v = s.indexOf("$") === -1 ? null : VARIABLE_CALL.exec(s); v; v = VARIABLE_CALL.exec(s)) {
    const start = v.index + (/^[\s;=(,{!]/.test(v[0]) ? 1 : 0);
    // `$$a(`, `@$a(`, `$a[..](` only PHP writes; `$t('key')` is also how templates call a helper with a string.
    const argAt = skipSpaces(s, v.index + v[0].length);
    const arg = s.charCodeAt(argAt);
    const phpOnly = /\$\$|@|[[{]/.test(v[0]);
    const strength = phpOnly ? 0.85 : arg === 39 || arg === 34 ? 0.75 : 0.8;
    if (phpOnly || !inlineMath(s, argAt)) {
      out.push(finding("code-injection", "code.php-variable-call", strength, start, v.index + v[0].length));
      break;
    }
  }
  QUOTED_CALLEE.lastIndex = 0;
  const q = mayQuoteCallee(s) ? QUOTED_CALLEE.exec(s) : null;
  // The argument is code (a string, a variable, a command in backticks), or one bare word right after the callee: `(system) (in use)` is prose.
  const argument = q ? s.slice(q.index + q[0].length, q.index + q[0].length + 42) : "";
  if (q && (/^\s*["'$`]/.test(argument) || (!/\s\($/.test(q[0]) && BARE_ARGUMENT.test(argument)))) out.push(finding("code-injection", "code.php-variable-call", 0.9, q.index, q.index + q[0].length));
  const negated = s.indexOf("~") === -1 ? null : NEGATED_CALLEE.exec(s);
  if (negated) out.push(finding("code-injection", "code.php-variable-call", 0.85, negated.index, negated.index + negated[0].length));
  if (s.indexOf(".") === -1) return;
  if (CALL_AFTER_PARENTHESIS.test(s)) {
    if (/chr\s*\(/i.test(s)) {
      for (const m of s.matchAll(CHR_CALLEE)) {
        if (DANGEROUS_NAMES.has(chrName(m[1]!))) {
          out.push(finding("code-injection", "code.php-variable-call", 0.85, m.index, m.index + m[0].length));
          return;
        }
      }
    }
    for (const m of s.matchAll(GLUED_CALLEE)) {
      if (DANGEROUS_NAMES.has(m[1]!.replace(/[^a-z_]/gi, "").toLowerCase())) {
        out.push(finding("code-injection", "code.php-variable-call", 0.85, m.index, m.index + m[0].length));
        return;
      }
    }
  }
  if (s.indexOf("'") === -1 && s.indexOf('"') === -1) return;
  for (const m of s.matchAll(GLUED_NAME)) {
    if (DANGEROUS_NAMES.has((m[2]! + m[4]!).toLowerCase())) {
      out.push(finding("code-injection", "code.php-variable-call", 0.85, m.index, m.index + m[0].length));
      break;
    }
  }
}

/** Extensions a server runs rather than serves. */
const SCRIPT_EXTENSION = "\\.(?:php\\d?|phtml|phar|phps|pht|jspx?|jspf|aspx?|ashx|asmx|asa|cer|cfm)";
/**
 * File names a server runs: an upload of one is a web shell. Trailing dots and spaces are dropped by
 * Windows; a NUL (sent raw, as `%00` or `\0`) ends the name where C code reads it, and IIS ends it at a
 * `;`, whatever extension follows for the upload's own check (`shell.php%00.jpg`, `shell.asp;.jpg`).
 */
const SCRIPT_FILE = new RegExp(`${SCRIPT_EXTENSION}(?:[.\\s]*$|\\x00|%00|\\\\0|;)`, "i");
/**
 * `shell.php.jpg`: Apache's mod_mime runs a file with a script extension anywhere in its name, and an
 * image's extension passes an upload form's check. Weaker: a name may just say what the image shows.
 */
const SCRIPT_INNER_EXTENSION = new RegExp(`${SCRIPT_EXTENSION}\\.(?:jpe?g|png|gif|bmp|webp|ico)$`, "i");
/**
 * An upload named by an absolute path into a web root or a system directory (`/tmp/sess_x`,
 * `/var/www/html/x.jpg`): a browser sends a file's base name only (old Internet Explorer a Windows
 * path, `C:\Users\...`; mobile apps their own storage, `/storage/emulated/0/DCIM/...`), so this
 * name was written to choose where an application that keeps names as given stores the file.
 */
const ABSOLUTE_UPLOAD_NAME = /^\s*\/+(?:var\/(?:www|tmp|lib|spool)|srv|etc|tmp|root|usr|opt|home|dev\/shm|proc|boot|bin|sbin)\/[^/]/i;
/** A server's per-directory configuration: an upload of one makes the directory run what it holds (`AddType ... .jpg`). */
const SERVER_CONFIG_FILE = /(?:^|[\\/])(?:\.htaccess|\.user\.ini|web\.config)[.\s]*$/i;
const FILENAME_HEADER = /^x[-_.]?file[-_.]?name$/i;
/** A word every directive below has: most values have none, and skip the search. */
const MAY_HOLD_DIRECTIVE = /type|handler|_file/i;
/**
 * Directives that make a server run files as scripts, what an uploaded `.htaccess` or `.user.ini`
 * holds: a handler or type for PHP or CGI, or PHP's prepend and append files.
 */
const HANDLER_DIRECTIVE =
  /\b(?:AddType|AddHandler|SetHandler|ForceType)\s[^\n]{0,80}?(?:x-httpd-php|php\d?-script|application\/x-httpd|cgi-script)|\b(?:php_value\s+)?auto_(?:prepend|append)_file\s*[=\s]\s*\S/i;

/**
 * PHP's CGI binary reads a query string without `=` as its command line (CVE-2012-1823; CVE-2024-4577
 * where a soft hyphen, U+00AD, passes for `-`): `-d` then an ini directive that runs what the request
 * sends (`-d allow_url_include=1 -d auto_prepend_file=php://input`). Only a query's own parameter
 * that starts with it: the command line is the query string, and prose about the flag is no query.
 */
const PHP_CGI_ARGUMENT = /^[\s+]*[-\u00ad]d[\s+]*(?:allow_url_include|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode|cgi\.force_redirect)\s*=/i;

interface Pattern {
  re: RegExp;
  rule: string;
  strength: number;
  /** Characters the construct cannot be written without (all of them). */
  needs: string;
  /** Words the construct holds (any one of them), as written, or in any ASCII case with `fold`. */
  words: string[];
  fold?: boolean;
  /** The call runs its argument (`os.system(cmd)`): called with none, it is named, not used. */
  runsArgument?: boolean;
}

/**
 * The needed characters and words of all patterns, each a bit of a set of 32-bit words: one pass over a
 * value tells which patterns can match at all, so that most values run none of their regexes.
 */
interface Anchor {
  text: string;
  fold: boolean;
  /** Its bit: which word of a set, and the bit in that word. */
  word: number;
  bit: number;
}
const anchors: Anchor[] = [];
/** 1 where some anchor starts with that character code, in either case where it folds (ASCII only: none starts otherwise). */
const STARTS_ANCHOR = new Uint8Array(128);
/** The one-character anchors (the characters a pattern needs), by their code: each is written as it is, never folded. */
const SINGLE_BY_FIRST: (Anchor | undefined)[] = new Array(128).fill(undefined);

/**
 * Anchors of two characters or more by their first two, each with bit 5 set (`pairKey`): one table read
 * tells whether any may start at a position. Most letters start some anchor, most letter pairs none,
 * and the anchors a letter starts were each compared at every such letter of a value.
 */
const ANCHORS_BY_PAIR = new Map<number, Anchor[]>();
const STARTS_PAIR = new Uint8Array(128 * 128);
/** Both codes with bit 5 set: an anchor's two characters and any value's that match them, in any case where it folds, share the key. */
const pairKey = (first: number, second: number) => ((first | 32) << 7) | (second | 32);

function anchorOf(text: string, fold: boolean): Anchor {
  let anchor = anchors.find((a) => a.text === text && a.fold === fold);
  if (!anchor) {
    anchor = { text, fold, word: anchors.length >>> 5, bit: 1 << (anchors.length & 31) };
    anchors.push(anchor);
    const first = text.charCodeAt(0);
    STARTS_ANCHOR[first] = 1;
    if (fold && (first | 32) >= 97 && (first | 32) <= 122) STARTS_ANCHOR[first ^ 32] = 1;
    if (text.length === 1) SINGLE_BY_FIRST[first] = anchor;
    else if (text.length >= 2) {
      const key = pairKey(first, text.charCodeAt(1));
      const list = ANCHORS_BY_PAIR.get(key);
      if (list) list.push(anchor);
      else ANCHORS_BY_PAIR.set(key, [anchor]);
      STARTS_PAIR[key] = 1;
    }
  }
  return anchor;
}

function anchorAt(s: string, i: number, a: Anchor): boolean {
  const text = a.text;
  if (i + text.length > s.length) return false;
  for (let k = 1; k < text.length; k++) {
    const c = s.charCodeAt(i + k);
    if (c !== text.charCodeAt(k) && !(a.fold && (c | 32) === text.charCodeAt(k))) return false;
  }
  return true;
}

/** Whether anchor `a` starts at `i`: its first character as written (a letter in either case where it folds), the rest as anchorAt reads them. */
function anchorStartsAt(s: string, i: number, a: Anchor): boolean {
  const c = s.charCodeAt(i);
  const first = a.text.charCodeAt(0);
  return (c === first || (a.fold && (first | 32) >= 97 && (first | 32) <= 122 && c === (first ^ 32))) && anchorAt(s, i, a);
}

/**
 * The anchors the value holds, into `found` (cleared first). One-character anchors by SINGLE_BY_FIRST,
 * longer ones by their first two characters (ANCHORS_BY_PAIR): a character and the next that match an
 * anchor's, in the case it is written or folded, have its pair's key, so no anchor is passed over.
 */
function anchorBits(s: string, found: Uint32Array): Uint32Array {
  found.fill(0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !STARTS_ANCHOR[c]) continue;
    if (SINGLE_BY_FIRST[c] !== undefined) {
      const a = SINGLE_BY_FIRST[c]!;
      found[a.word]! |= a.bit;
    }
    const next = s.charCodeAt(i + 1);
    if (!(next < 128)) continue;
    const key = pairKey(c, next);
    if (!STARTS_PAIR[key]) continue;
    const list = ANCHORS_BY_PAIR.get(key)!;
    for (let n = 0; n < list.length; n++) {
      const a = list[n]!;
      if ((found[a.word]! & a.bit) === 0 && anchorStartsAt(s, i, a)) found[a.word]! |= a.bit;
    }
  }
  return found;
}

/** Whether `found` holds every anchor of `needs` and one of `words` at least. */
function holds(found: Uint32Array, needs: Uint32Array, words: Uint32Array): boolean {
  let any = false;
  for (let w = 0; w < found.length; w++) {
    if (((found[w]! & needs[w]!) >>> 0) !== needs[w]) return false;
    if ((found[w]! & words[w]!) !== 0) any = true;
  }
  return any;
}

/**
 * Spring binds request parameter names to bean properties: `class.module.classLoader...` reaches the
 * class loader, in dots or in brackets (`class['module']['classLoader']`). Each run of blanks and quotes
 * sits between two characters that must be there, so no two runs share a stretch to split (cubic time).
 */
const CLASS_LOADER_PATH = /\bclass\s*(?:[.[][\s'"]*module[\s'"\]]*)?[.[][\s'"]*classLoader\b/i;

/**
 * Each alternative reads a name one way only: `java.(\w+.){0,8}runtime` (a segment must end at its
 * dot), not `java(.\w+)*.runtime`, whose segments could also end at `runtime` and which backtracked
 * over a run of `java.x.` in quadratic time, until the engine gave up and matched nothing at all.
 */
const JAVA_PACKAGE =
  /\b(?:java\.lang\.(?:reflect|invoke)|javax?\.(?:script|naming|management|rmi)\.|java\.rmi\b|java\.(?:\w+\.){0,8}(?:runtime|processbuilder)\b|com\.sun\.(?:org\.apache|jndi|rowset|management)|org\.apache\.(?:commons\.collections|xalan|bcel)|org\.omg\.corba|com\.opensymphony\.xwork2)/gi;

/** Constants JavaScript reads as true, and as false (`!` an odd number of times makes them true). */
const TRUTHY = String.raw`(?:true|[1-9]\d*|Infinity|\[\s*\]|\{\s*\}|new\s+Date|String|Number|Object|Array|Date)`;
const FALSY = String.raw`(?:false|0|""|''|NaN|null|undefined)`;
/** A loop's condition that is always true: a truthy constant under an even count of `!`, a falsy one under an odd count. */
const ALWAYS_TRUE = String.raw`\(\s*(?:(?:!!\s*)*(?:\(\s*)*${TRUTHY}|!\s*(?:!!\s*)*(?:\(\s*)*${FALSY})\s*(?:\)\s*)+`;
/**
 * `while(true){}`, `while(!"");`, `for(;;);`: a loop on a constant that is always true, with an empty
 * body, or as the whole value. A do-while's own `} while (0);` ends, and a sentence naming one
 * (`how to exit while(1)`) has words after it.
 */
const EMPTY_ENDLESS_LOOP = new RegExp(String.raw`(?<!\}\s{0,8})\bwhile\s*${ALWAYS_TRUE}(?:\{\s*\}|;)|^\s*while\s*${ALWAYS_TRUE}$|\bfor\s*\(\s*;\s*;\s*\)\s*(?:\{\s*\}|;)`);

/**
 * Calls a payload makes and code written for its purpose does not, each behind a word it cannot be
 * written without (its anchors):
 * - PHP's eval probe, a marker's hash printed back (`print(md5(31337))`, `die(sha1('x'))`): how
 *   scanners confirm an `eval` they reached; PHP's names know no case;
 * - Node's `process` told to end or change the server (`process.kill(process.pid)`, `process.exit()`),
 *   and its module system reached by quoted keys, as a sandbox escape spells it to pass a filter of
 *   names (`global['pro'+'cess']['mainModule']`, `x['require']('child_process')`);
 * - Ruby's `send` of a method named by its symbol (`send(:system, 'id')`, `method(:exec)`), its
 *   `instance_eval` of a string, and Ruby's and Perl's `open` of a pipe (`open('|id')`);
 * - PHP's callback functions handed a command runner by name (`array_map('system', ['id'])`);
 * - Python's builtins reached through their module (`__builtins__.__dict__['__import__']`,
 *   `globals()['__builtins__']`);
 * - the COM objects ASP and JScript start a command or reach files with (`CreateObject("WScript.Shell")`),
 *   ASP's one-line web shell that runs what a request sends (`<%eval request("pass")%>`), and .NET's
 *   `Process.Start` of a shell;
 * - a loop that never ends and does nothing, the denial of service an expression evaluator is sent
 *   (`while(true){}`, `for(;;);`): code written to do something has a body.
 * Each blank run sits between characters it needs (`\s*(?:\(\s*)?`, never `\s*\(?\s*`): two runs that could
 * share one stretch of blanks would be tried at every split of it, in quadratic time on a megabyte of them.
 */
const PAYLOAD_CALLS: Pattern[] = [
  { re: /\b(?:print|echo|die|exit|var_dump|print_r)\s*(?:\/\*[^*]{0,40}\*\/\s*)?(?:\(\s*)?(?:\/\*[^*]{0,40}\*\/\s*)?(?:md5|sha1|crc32)\s*(?:\/\*[^*]{0,40}\*\/\s*)?\(/i, rule: "code.php-probe", strength: 0.85, needs: "(", words: ["md5", "sha1", "crc32"], fold: true },
  { re: /\bprocess\s*(?:\.\s*|\[\s*['"`])(?:kill|exit|abort|reallyExit|setuid|setgid|chdir)(?:['"`]\s*\])?\s*\(/, rule: "code.node-process", strength: 0.85, needs: "(", words: ["process"], fold: true },
  { re: /\[\s*['"`]mainModule['"`]\s*\]/, rule: "code.node-process", strength: 0.9, needs: "[", words: ["mainModule"] },
  { re: /\[\s*['"`]require['"`]\s*\]\s*\(\s*['"`](?:node:)?(?:child_process|fs|vm|net)['"`]/, rule: "code.node-child-process", strength: 0.95, needs: "[(", words: ["require"] },
  { re: /\b(?:__send__|public_send|send|method|instance_exec|instance_eval|class_eval)\s*(?:\(\s*)?:(?:system|exec|spawn|eval|syscall|popen|open|`)/, rule: "code.ruby-send", strength: 0.9, needs: ":", words: ["send", "method", "instance_exec", "_eval"] },
  { re: /\b(?:CreateObject|ActiveXObject)\s*\(\s*["'](?:WScript\.Shell|Shell\.Application|WScript\.Network|Scripting\.FileSystemObject|ADODB\.Stream)["']/i, rule: "code.com-object", strength: 0.9, needs: "(", words: ["createobject", "activexobject"], fold: true },
  { re: /\bopen\s*(?:\(\s*)?(?:[A-Za-z_]\w*\s*,\s*)?['"]\s*\|\s*[\w./]/, rule: "code.pipe-open", strength: 0.9, needs: "|", words: ["open"] },
  { re: /\b(?:instance|class|module)_eval\s*(?:\(\s*)?["'%]/, rule: "code.ruby-eval", strength: 0.85, needs: "", words: ["_eval"] },
  { re: /\b(?:array_map|array_filter|array_walk(?:_recursive)?|call_user_func(?:_array)?|u[ak]?sort|register_shutdown_function|iterator_apply)\s*\(\s*['"](?:system|exec|passthru|shell_exec|assert|popen|proc_open|pcntl_exec|create_function)['"]/i, rule: "code.php-callback", strength: 0.9, needs: "(", words: ["system", "exec", "passthru", "assert", "popen", "proc_open", "create_function"], fold: true },
  { re: /\b__builtins__(?:\s*[.[]|['"]\s*\])/, rule: "code.python-builtins", strength: 0.85, needs: "", words: ["__builtins__"] },
  { re: /\b(?:eval|execute|executeglobal)\s*(?:\(\s*)?request\s*(?:\.\s*(?:form|querystring|item)\s*)?[("]/i, rule: "code.asp-eval", strength: 0.9, needs: "", words: ["request"], fold: true },
  { re: /\bProcess\s*\.\s*Start\s*\(\s*(?:new\s+ProcessStartInfo\s*\(\s*)?@?["'](?:cmd|powershell|pwsh|\/bin\/(?:ba)?sh|bash|sh)(?:\.exe)?["']/i, rule: "code.dotnet-process", strength: 0.9, needs: "(", words: ["process"], fold: true },
  { re: EMPTY_ENDLESS_LOOP, rule: "code.empty-endless-loop", strength: 0.85, needs: "(", words: ["while", "for"] },
];

/** Constructs that are code wherever they appear (spelled the way their language spells them). */
const PATTERNS: Pattern[] = [
  { re: /<\?php\b/gi, rule: "code.php-tag", strength: 0.9, needs: "", words: ["<?"] },
  // `<?= ...`, `<? php ...`, `<? echo ...`: short open tags (not `<?xml`, a processing instruction).
  { re: /<\?(?:=\s*(?:["'$`(]|[a-z_]\w*\s*[(;])|\s+php\b|\s+(?:echo|print|system|eval|exec|passthru|include|require)\b|\s*\$[a-z_])/gi, rule: "code.php-tag", strength: 0.85, needs: "", words: ["<?"] },
  { re: /\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*[[{]/g, rule: "code.php-superglobal", strength: 0.85, needs: "", words: ["$_"] },
  { re: /\$GLOBALS\s*\[/g, rule: "code.php-superglobal", strength: 0.75, needs: "", words: ["$GLOBALS"] },
  // `{${phpinfo()}}`, `${@print(...)}`: PHP runs the call to find the variable's name.
  { re: /\{\$\{\s*@?[a-z_]\w*\s*\(|\$\{\s*@[a-z_]\w*\s*\(/gi, rule: "code.php-interpolation", strength: 0.85, needs: "(", words: ["${"] },
  { re: /(?:require|import)\s*\(\s*['"`](?:node:)?child_process['"`]\s*\)/g, rule: "code.node-child-process", strength: 0.95, needs: "(", words: ["child_process"] },
  { re: /child_process['"`]?\s*\)?\s*\.\s*(?:exec|execSync|spawn|spawnSync|execFile|fork)\s*\(/g, rule: "code.node-child-process", strength: 0.95, needs: ".(", words: ["child_process"] },
  // `x = x.mainModule.require`: the loader reached from any object that holds the process (a template's
  // statements one per line, Pug's `- x = root.process` first), then called with `child_process`.
  { re: /\bmainModule\s*\.\s*require\b/g, rule: "code.node-process", strength: 0.9, needs: ".", words: ["mainModule"] },
  { re: /\bprocess\s*(?:\.\s*|\[\s*['"`])(?:mainModule|binding\s*\(|dlopen\s*\()/g, rule: "code.node-process", strength: 0.9, needs: "", words: ["process"], fold: true },
  // `process.env`, `process['env']`: a template or a sandbox asked for the server's secrets.
  { re: /\bprocess\s*(?:\.\s*|\[\s*['"`])env\b/g, rule: "code.node-process", strength: 0.6, needs: "", words: ["process"], fold: true },
  { re: /\bconstructor\s*\.\s*constructor\s*\(/g, rule: "code.node-sandbox-escape", strength: 0.85, needs: ".(", words: ["constructor"] },
  // A React Server Components (Flight) reference, `$<id>:<key>:<key>`, that walks into the prototype chain
  // (`$1:__proto__:then`, `$3:constructor:constructor`; a key on the way may hold any character but `:`):
  // the decoder follows it to Function (CVE-2025-55182).
  { re: /\$[0-9a-fA-F]{0,8}:(?:[^:\s"'{}]{1,40}:){0,8}(?:__proto__|constructor:constructor)\b/g, rule: "code.flight-reference", strength: 0.9, needs: ":", words: ["constructor", "__proto__"] },
  { re: /\bjava\.lang\.(?:Runtime|ProcessBuilder)\b/g, rule: "code.java-runtime", strength: 0.9, needs: ".", words: ["java.lang."] },
  // `Runtime.getRuntime`, `ProcessBuilder.start`, `ProcessBuilder.evil...`: a property chain off the process classes.
  { re: /\b(?:ProcessBuilder|java\.lang\.Runtime)\s*\.\s*[a-z_]\w*/gi, rule: "code.java-process-builder", strength: 0.85, needs: ".", words: ["processbuilder", "java.lang.runtime"], fold: true },
  { re: /\bgetRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/g, rule: "code.java-runtime", strength: 0.95, needs: ".(", words: ["getRuntime"] },
  { re: /\bRuntime\s*\.\s*getRuntime\s*\(/g, rule: "code.java-runtime", strength: 0.9, needs: ".(", words: ["getRuntime"] },
  { re: /\bnew\s+ProcessBuilder\s*\(|\bProcessBuilder\s*\(\s*(?:new\s|["'[{])/g, rule: "code.java-process-builder", strength: 0.9, needs: "(", words: ["ProcessBuilder"] },
  // Fully qualified classes that read files, run processes or load code: named in a value only to reach them.
  // Not value types or exceptions: a client's error report names `java.lang.Integer` and `java.io.IOException`.
  // (`java.lang.reflect` and `java.lang.invoke`, packages, are JAVA_PACKAGE's, in any case.)
  { re: /\bjava\.(?:lang\.(?:Runtime|Process\w*|ClassLoader|Class|System|Thread)\b|(?:io|net|nio|beans|rmi|util\.(?:zip|jar))\.[A-Z]\w+\b(?<!Exception|Error))/g, rule: "code.java-class", strength: 0.7, needs: ".", words: ["java."] },
  // Packages an exploit reaches for (reflection, scripting, naming, remoting, the JDK's internal Xalan and
  // JNDI, Commons Collections, CORBA, Struts' xwork): named in a value, spelled however the
  // application's binder folds them (`java.lang.reflect`, `Org.Apache.Commons`).
  { re: JAVA_PACKAGE, rule: "code.java-class", strength: 0.7, needs: ".", words: ["java", "com.", "org."], fold: true },
  { re: /\bProcessBuilder\b/g, rule: "code.java-process-builder", strength: 0.6, needs: "", words: ["ProcessBuilder"] },
  { re: /\bClass\s*\.\s*forName\s*\(|\.getClass\s*\(\s*\)\s*\.\s*forName\s*\(/g, rule: "code.java-reflection", strength: 0.85, needs: ".(", words: ["forName"] },
  { re: /\bjavax\.script\.ScriptEngineManager\b/g, rule: "code.java-script-engine", strength: 0.85, needs: ".", words: ["javax.script."] },
  { re: CLASS_LOADER_PATH, rule: "code.java-classloader", strength: 0.9, needs: "", words: ["classloader"], fold: true },
  { re: /\b__import__\s*\(\s*['"]/g, rule: "code.python-import", strength: 0.9, needs: "(", words: ["__import__"] },
  { re: /\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/g, rule: "code.python-os", strength: 0.9, needs: ".(", words: ["os"], runsArgument: true },
  // Lua's process calls: what a gateway's or a game server's Lua hook is given (APISIX `filter_func`).
  { re: /\b(?:os\s*\.\s*execute|io\s*\.\s*popen)\s*\(/g, rule: "code.lua-os", strength: 0.9, needs: ".(", words: ["os", "io"], runsArgument: true },
  // Groovy's Grape fetches and loads a library when the script compiles: a resolver points it at the
  // sender's server (Jenkins' script check, CVE-2019-1003000); a grab alone names what to load.
  { re: /@GrabResolver\s*\(/g, rule: "code.groovy-grab", strength: 0.85, needs: "@(", words: ["@GrabResolver"] },
  { re: /@Grab(?:Config)?\s*\(/g, rule: "code.groovy-grab", strength: 0.7, needs: "@(", words: ["@Grab"] },
  { re: /\bsubprocess\s*\.\s*(?:Popen|call|check_call|check_output|run|getoutput|getstatusoutput)\s*\(/g, rule: "code.python-subprocess", strength: 0.9, needs: ".(", words: ["subprocess"], runsArgument: true },
  { re: /\.__(?:subclasses|globals|builtins|mro|bases)__\b/g, rule: "code.python-dunder", strength: 0.8, needs: "", words: [".__"] },
  { re: /\bKernel\s*\.\s*(?:exec|system|spawn|open|eval|`)/g, rule: "code.ruby-kernel", strength: 0.9, needs: ".", words: ["Kernel"] },
  { re: /\bIO\s*\.\s*popen\s*\(|\bOpen3\s*\.\s*(?:popen[23e]?|capture[23e]?)\b/g, rule: "code.ruby-popen", strength: 0.9, needs: ".", words: ["IO", "Open3"] },
  // Node's `process` above shares this anchor, folded.
  { re: /\bProcess\s*\.\s*(?:spawn|exec)\s*\(/g, rule: "code.ruby-process", strength: 0.9, needs: ".(", words: ["process"], fold: true },
  { re: /%x[({[][^)}\]\n]{1,200}[)}\]]/g, rule: "code.ruby-backtick", strength: 0.8, needs: "", words: ["%x"] },
  ...PAYLOAD_CALLS,
];

/** Each pattern's needed characters and words as sets of `anchorBits`, once every anchor is known. */
const NEEDED = PATTERNS.map((p) => Array.from(p.needs, (c) => anchorOf(c, false)));
const WORDED = PATTERNS.map((p) => p.words.map((w) => anchorOf(w, p.fold === true)));
const anchorSet = (of: Anchor[]) => {
  const set = new Uint32Array(Math.ceil(anchors.length / 32));
  for (const a of of) set[a.word]! |= a.bit;
  return set;
};
const PATTERN_NEEDS = NEEDED.map(anchorSet);
const PATTERN_WORDS = WORDED.map(anchorSet);
/** The anchors of the value being judged (the analyzer runs one value at a time). */
const FOUND = new Uint32Array(Math.ceil(anchors.length / 32));

/** Keys (a parameter or JSON key name) that write to an object's prototype when merged. */
const POLLUTING_KEY = /__proto__|\bconstructor\b\W{0,4}\bprototype\b/;
/**
 * The same inside a value that holds JSON or a query string, or names a property path for an
 * application to set (JSON Patch's `/__proto__/isAdmin`, a route's `/a/__proto__/b`, lodash's
 * `constructor.prototype.admin` as the whole value; not prose about `Foo.constructor.prototype`).
 */
const POLLUTING_IN_VALUE =
  /["'[]__proto__["'\]]|__proto__\s*[[.]|["']constructor["']\s*:\s*\{\s*["']prototype["']|constructor\s*\[\s*['"]?prototype|(?:^|\/)__proto__(?:\/|$)|\/constructor\/prototype(?:\/|$)|^\s*constructor\.prototype(?:\.[\w$]+)*\s*$/;

/**
 * A leaf's path through a polluting key (`query.__proto__.admin`, `body.json.a.__proto__.b`), or a key
 * leaf that is one (`body.json.constructor.prototype`: the key `prototype` alone is no pollution).
 * Python's class pollution walks the same way from an object to its class, its constructor and the
 * module's globals (`{"__class__": {"__init__": {"__globals__": {...}}}}`, merged by a recursive
 * `setattr`); a `__class__` key alone is a serializer's type tag.
 */
const POLLUTING_PATH = /(?:^|[.[])(?:__proto__|constructor[.[\]'"]{1,3}prototype|__class__[.[\]'"]{1,3}__(?:init|base|bases|mro|dict)__|__globals__)(?:$|[.[\]])/;

/**
 * PHP functions that run commands or code, or reach files and sockets, named by no word of prose: a
 * value that is one of them alone names the function for an application that calls what it is given
 * (`function=call_user_func_array&vars[0]=system`, a dispatcher's `callback=shell_exec`).
 */
const DISPATCHED_FUNCTIONS = new Set(
  `call_user_func call_user_func_array shell_exec proc_open pcntl_exec passthru create_function popen fsockopen pfsockopen
  base64_decode str_rot13 gzinflate assert_options preg_replace_callback register_shutdown_function array_walk_recursive
  file_put_contents file_get_contents move_uploaded_file phpinfo php_uname highlight_file show_source`.split(/\s+/).filter(Boolean),
);
const LONGEST_DISPATCHED = Math.max(...Array.from(DISPATCHED_FUNCTIONS, (f) => f.length));
/**
 * What a dispatcher is asked to call in the same request as a function name: PHP's functions that run
 * a command or code. `system` alone is a word (a font family, a theme); beside a dispatched function
 * (`function=call_user_func_array&vars[0]=system`) it is the target.
 */
const EXEC_TARGETS = new Set([...RUNS_COMMAND, "assert", "eval", "phpinfo", "create_function"]);
const LONGEST_TARGET = Math.max(...Array.from(EXEC_TARGETS, (f) => f.length));
/** A render array's callback property: Drupal builds those on the server, no form of it sends one. */
const RENDER_CALLBACK = /#(?:post_render|pre_render|lazy_builder|access_callback)\b/i;
/**
 * Parameters an application calls by name: one named a callback, a hook or a function outright (its
 * last bracket's name: `hhook`, `callback`, `cb[]`, `func`), and Drupal's render-array callbacks
 * (`mail[#post_render][]=exec`, Drupalgeddon 2). An exec target there is called with whatever the
 * request puts beside it (`hhook=exec&sid=id`), however harmless that looks. A name that only holds
 * such a word says no such thing (`hook_type=system`, `job_function=exec`).
 */
const CALLBACK_NAME = new RegExp(String.raw`(?:^|\[)(?:h?hook|callback|cb|func(?:tion)?)\]?(?:\[\])?$|` + RENDER_CALLBACK.source, "i");

/**
 * The request-scope rule: a value that names a dispatched function (its `code.php-function-name`
 * finding, so that a request without one costs a look at its findings only) and another value, in the
 * query or the body, that names an exec target. The finding goes on the target, the whole value its
 * evidence.
 */
export function phpDispatch(leaves: readonly Leaf[], findings: readonly (readonly Finding[])[]): { at: number; finding: Finding }[] {
  const dispatchers: number[] = [];
  for (let at = 0; at < findings.length; at++) if (findings[at]!.some((f) => f.rule === "code.php-function-name")) dispatchers.push(at);
  if (!dispatchers.length) return [];
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (leaf.kind !== "value" || (leaf.location !== "query" && leaf.location !== "body") || leaf.text.length > LONGEST_TARGET + 2) continue;
    // A target beside a dispatcher other than itself (`q=shell_exec` alone is the 0.75 name, no more).
    if (EXEC_TARGETS.has(leaf.text.trim().toLowerCase()) && dispatchers.some((d) => d !== at)) {
      return [{ at, finding: finding("code-injection", "code.php-dispatch", 0.9, 0, leaf.text.length) }];
    }
  }
  return [];
}

/**
 * A route to a namespaced PHP class and its method (`s=/index/\think\app/invokefunction`): frameworks
 * that route by path info load the class a request names, so naming one that the routes never offer
 * (a container, the request object, the app) calls into the framework itself. The class is written
 * from PHP's root namespace (a leading backslash) after a slash or at the start; `\xd0\xb0` byte
 * escapes are no class. Names and namespaces are bounded, so that a long run of `\a` costs one pass.
 */
const PHP_CLASS_ROUTE = /(?:^|\/)\\(?![xX][0-9a-fA-F]{2}\\)[A-Za-z_]\w{0,63}(?:\\[A-Za-z_]\w{0,63}){1,16}(?:\/|::)[A-Za-z_]\w{0,63}/;

/**
 * Groovy runs a string, or a list of strings, as a command: `"id".execute()`, `["sh","-c","id"].execute()`
 * (Jenkins' script console, Groovy templates). No other language calls `execute()` on a string literal;
 * a string as a subscript (`tasks['clean'].execute()`, Gradle's idiom) is a lookup, not one.
 */
const GROOVY_EXECUTE = /(?:(?<![\w$\])]\s*\[\s*)["'][^"'\n]{1,256}["']|(?<![\w$\])])\[\s*["'][^\]\n]{0,256}["']\s*\])\s*\.\s*execute\s*\(/;

/** Characters without which nothing here can match. */
const TRIGGER = /[(<$_%]|classloader|process|runtime|prototype|java\w?\.|\b(?:com|org)\./i;

/** What an uploaded file's name says it will be to the server. */
function uploadName(s: string, out: Finding[]): void {
  if (SCRIPT_FILE.test(s)) out.push(finding("code-injection", "code.script-upload", 0.85, 0, s.length));
  else if (SCRIPT_INNER_EXTENSION.test(s)) out.push(finding("code-injection", "code.script-upload", 0.6, 0, s.length));
  if (SERVER_CONFIG_FILE.test(s)) out.push(finding("code-injection", "code.config-upload", 0.85, 0, s.length));
  if (ABSOLUTE_UPLOAD_NAME.test(s)) out.push(finding("traversal", "code.upload-to-path", 0.85, 0, s.length));
}

/** A call that runs its argument, named with none (`os.system()` in a question), is a mention. */
const MENTIONED_CALL = 0.5;
/** `()` and no chain after it. */
const EMPTY_CALL = /^\s*\)(?!\s*[.([])/;

/**
 * The first match of `re`. For a call that runs its argument (`runsArgument`), the first one given
 * something to run, else the first named only, as a mention (MENTIONED_CALL): `os.system() or
 * os.system('id')` is the second one.
 */
function firstMatch(re: RegExp, s: string, rule: string, strength: number, out: Finding[], runsArgument = false): void {
  re.lastIndex = 0;
  let mention: Finding | null = null;
  for (let m = re.exec(s); m; m = re.global ? re.exec(s) : null) {
    const end = m.index + m[0].length;
    if (!runsArgument || !EMPTY_CALL.test(s.slice(end, end + 16))) {
      out.push(finding("code-injection", rule, strength, m.index, end));
      return;
    }
    mention ??= finding("code-injection", rule, Math.min(strength, MENTIONED_CALL), m.index, end);
  }
  if (mention) out.push(mention);
}

export const codeAnalyzer: Analyzer = {
  name: "code",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    const out: Finding[] = [];
    if (input.kind === "filename" || (input.location === "header" && FILENAME_HEADER.test(input.name))) uploadName(s, out);
    if (s.length >= 14 && MAY_HOLD_DIRECTIVE.test(s)) firstMatch(HANDLER_DIRECTIVE, s, "code.handler-directive", 0.7, out);
    if (input.location === "query") firstMatch(PHP_CGI_ARGUMENT, s, "code.php-cgi-argument", 0.9, out);
    if (input.kind === "value" && s.indexOf("\\") !== -1) firstMatch(PHP_CLASS_ROUTE, s, "code.php-class-route", 0.85, out);
    if (input.location !== "header" && (input.path.indexOf("proto") !== -1 || input.path.indexOf("__") !== -1) && POLLUTING_PATH.test(input.path)) {
      out.push(finding("code-injection", "code.prototype-pollution", 0.9, 0, s.length));
    }
    if (input.kind === "value" && s.length <= LONGEST_DISPATCHED + 2) {
      const named = s.trim().toLowerCase();
      if (DISPATCHED_FUNCTIONS.has(named)) out.push(finding("code-injection", "code.php-function-name", 0.75, 0, s.length));
      // Both when both hold: `passthru` is a dispatched function's name and, under a callback's, its target.
      if (EXEC_TARGETS.has(named) && CALLBACK_NAME.test(input.name)) out.push(finding("code-injection", "code.php-callback", RENDER_CALLBACK.test(input.name) ? 0.95 : 0.85, 0, s.length));
    }
    if (!TRIGGER.test(s)) return out;
    if (input.kind === "key") {
      firstMatch(POLLUTING_KEY, s, "code.prototype-pollution", 0.9, out);
      firstMatch(CLASS_LOADER_PATH, s, "code.java-classloader", 0.95, out);
    } else {
      if (s.indexOf("(") !== -1) {
        phpCalls(s, out);
        phpDynamicCalls(s, out);
        if (s.indexOf(":function") !== -1) firstMatch(XSLT_PHP_FUNCTION, s, "code.php-call", 0.9, out);
        statementCall(s, out);
        if (s.indexOf("execute") !== -1) firstMatch(GROOVY_EXECUTE, s, "code.groovy-execute", 0.85, out);
      }

      if (s.indexOf("__proto__") !== -1 || s.indexOf("prototype") !== -1) firstMatch(POLLUTING_IN_VALUE, s, "code.prototype-pollution", 0.85, out);
    }
    // A key is judged like a value too: a JSON key can carry the payload.
    const found = anchorBits(s, FOUND);
    for (let k = 0; k < PATTERNS.length; k++) {
      const p = PATTERNS[k]!;
      if (holds(found, PATTERN_NEEDS[k]!, PATTERN_WORDS[k]!)) firstMatch(p.re, s, p.rule, p.strength, out, p.runsArgument);
    }
    return strongestPerRule(out);
  },
};
