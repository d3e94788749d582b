/**
 * Code in the application's own language: PHP (tags, calls of functions that run commands or code
 * with a real argument, superglobals, `{${...}}` interpolation), Node.js (`child_process`,
 * `process.mainModule`, sandbox escapes, prototype pollution keys), Java (`Runtime.exec`,
 * `ProcessBuilder`, Spring's `class.module.classLoader` property paths, `Class.forName`), Python
 * (`__import__`, `os.system`, `subprocess`) and Ruby (`Kernel.exec`, `%x()`, `IO.popen`).
 * A function name alone is a word (`system(s)`, `the eval`): a call counts when its argument is code
 * (a string, a variable, another call), or when the function needs none (`phpinfo()`).
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, strongestPerRule } from "./text.ts";

/** PHP functions by what a call of them does, with the strength of a call with a code argument. */
const PHP_CALLS = new Map<string, number>([
  ...["system", "passthru", "shell_exec", "exec", "popen", "proc_open", "pcntl_exec", "eval", "assert", "create_function"].map((f) => [f, 0.9] as const),
  ...["file_get_contents", "file_put_contents", "fopen", "readfile", "include", "include_once", "require", "require_once", "highlight_file", "show_source", "unserialize", "preg_replace", "call_user_func", "call_user_func_array", "array_map", "usort"].map((f) => [f, 0.75] as const),
  ...["base64_decode", "str_rot13", "gzinflate", "gzuncompress", "hex2bin", "chr"].map((f) => [f, 0.6] as const),
]);
/** Functions whose call without arguments is already the probe. */
const NO_ARG_PROBES = new Map<string, number>([["phpinfo", 0.85], ["phpversion", 0.8], ["getcwd", 0.6], ["php_uname", 0.85], ["get_current_user", 0.7]]);

const CALL = /(?<![\w$>.])@?([a-z_][a-z0-9_]*)\s*\(\s*(.?)/gi;

function phpCalls(s: string, out: Finding[]): void {
  for (const m of s.matchAll(CALL)) {
    const name = m[1]!.toLowerCase();
    const next = m[2]!;
    const noArg = NO_ARG_PROBES.get(name);
    if (noArg !== undefined && next === ")") {
      out.push(finding("code-injection", "code.php-probe", noArg, m.index, m.index + m[0].length));
      continue;
    }
    const strength = PHP_CALLS.get(name);
    if (strength === undefined) continue;
    // The argument is code: a string, a variable, a command in backticks, or another call.
    let codeArg = next === "'" || next === '"' || next === "$" || next === "`";
    if (!codeArg && /[a-z_]/i.test(next)) codeArg = /^[a-z_][a-z0-9_]*\s*\(/i.test(s.slice(m.index + m[0].length - 1, m.index + m[0].length + 40));
    if (codeArg) out.push(finding("code-injection", "code.php-call", strength, m.index, m.index + m[0].length));
  }
}

interface Pattern {
  re: RegExp;
  rule: string;
  strength: number;
}

/** Constructs that are code wherever they appear (spelled the way their language spells them). */
const PATTERNS: Pattern[] = [
  { re: /<\?php\b/gi, rule: "code.php-tag", strength: 0.9 },
  { re: /<\?=\s*(?:\$[a-z_]|`|[a-z_]\w*\s*\()/gi, rule: "code.php-tag", strength: 0.8 },
  { re: /\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\s*[[{]/g, rule: "code.php-superglobal", strength: 0.85 },
  { re: /\$GLOBALS\s*\[/g, rule: "code.php-superglobal", strength: 0.75 },
  // `{${phpinfo()}}`, `${@print(...)}`: PHP runs the call to find the variable's name.
  { re: /\{\$\{\s*@?[a-z_]\w*\s*\(|\$\{\s*@[a-z_]\w*\s*\(/gi, rule: "code.php-interpolation", strength: 0.85 },
  { re: /require\s*\(\s*['"`](?:node:)?child_process['"`]\s*\)/g, rule: "code.node-child-process", strength: 0.95 },
  { re: /child_process['"`]?\s*\)?\s*\.\s*(?:exec|execSync|spawn|spawnSync|execFile|fork)\s*\(/g, rule: "code.node-child-process", strength: 0.95 },
  { re: /\bprocess\s*\.\s*(?:mainModule|binding\s*\(|dlopen\s*\()/g, rule: "code.node-process", strength: 0.9 },
  { re: /\bconstructor\s*\.\s*constructor\s*\(/g, rule: "code.node-sandbox-escape", strength: 0.85 },
  { re: /\bjava\.lang\.(?:Runtime|ProcessBuilder)\b/g, rule: "code.java-runtime", strength: 0.9 },
  { re: /\bgetRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/g, rule: "code.java-runtime", strength: 0.95 },
  { re: /\bRuntime\s*\.\s*getRuntime\s*\(/g, rule: "code.java-runtime", strength: 0.9 },
  { re: /\bnew\s+ProcessBuilder\s*\(|\bProcessBuilder\s*\(\s*(?:new\s|["'[{])/g, rule: "code.java-process-builder", strength: 0.9 },
  // Fully qualified classes that read files, run processes or load code: named in a value only to reach them.
  { re: /\bjava\.(?:lang|io|net|nio|beans|rmi|util\.(?:zip|jar))\.[A-Z]\w+/g, rule: "code.java-class", strength: 0.7 },
  { re: /\bProcessBuilder\b/g, rule: "code.java-process-builder", strength: 0.6 },
  { re: /\bClass\s*\.\s*forName\s*\(|\.getClass\s*\(\s*\)\s*\.\s*forName\s*\(/g, rule: "code.java-reflection", strength: 0.85 },
  { re: /\bjavax\.script\.ScriptEngineManager\b/g, rule: "code.java-script-engine", strength: 0.85 },
  { re: /\bclass\s*(?:\.\s*module\s*)?(?:\.|\[\s*['"]?)\s*classLoader\b/gi, rule: "code.java-classloader", strength: 0.9 },
  { re: /\b__import__\s*\(\s*['"]/g, rule: "code.python-import", strength: 0.9 },
  { re: /\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/g, rule: "code.python-os", strength: 0.9 },
  { re: /\bsubprocess\s*\.\s*(?:Popen|call|check_call|check_output|run|getoutput|getstatusoutput)\s*\(/g, rule: "code.python-subprocess", strength: 0.9 },
  { re: /\.__(?:subclasses|globals|builtins|mro|bases)__\b/g, rule: "code.python-dunder", strength: 0.8 },
  { re: /\bKernel\s*\.\s*(?:exec|system|spawn|open|eval|`)/g, rule: "code.ruby-kernel", strength: 0.9 },
  { re: /\bIO\s*\.\s*popen\s*\(|\bOpen3\s*\.\s*(?:popen[23e]?|capture[23e]?)\b/g, rule: "code.ruby-popen", strength: 0.9 },
  { re: /%x[({[][^)}\]\n]{1,200}[)}\]]/g, rule: "code.ruby-backtick", strength: 0.8 },
];

/** Keys (a parameter or JSON key name) that write to an object's prototype when merged. */
const POLLUTING_KEY = /__proto__|\bconstructor\b\W{0,4}\bprototype\b/;
/** The same inside a value that holds JSON or a query string. */
const POLLUTING_IN_VALUE = /["'[]__proto__["'\]]|__proto__\s*[[.]|["']constructor["']\s*:\s*\{\s*["']prototype["']|constructor\s*\[\s*['"]?prototype/;

/** Characters without which nothing here can match. */
const TRIGGER = /[(<$_%]|classloader|processbuilder|runtime|prototype|java\./i;

/** Spring binds request parameter names to bean properties: `class.module.classLoader...` reaches the class loader. */
const CLASS_LOADER_PATH = /\bclass\s*(?:\.\s*module\s*)?(?:\.|\[\s*['"]?)\s*classLoader\b/i;

function firstMatch(re: RegExp, s: string, rule: string, strength: number, out: Finding[]): void {
  re.lastIndex = 0;
  const m = re.exec(s);
  if (m) out.push(finding("code-injection", rule, strength, m.index, m.index + m[0].length));
}

export const codeAnalyzer: Analyzer = {
  name: "code",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    if (!TRIGGER.test(s)) return [];
    const out: Finding[] = [];
    if (input.kind === "key") {
      firstMatch(POLLUTING_KEY, s, "code.prototype-pollution", 0.9, out);
      firstMatch(CLASS_LOADER_PATH, s, "code.java-classloader", 0.95, out);
    } else {
      if (s.indexOf("(") !== -1) phpCalls(s, out);
      if (s.indexOf("__proto__") !== -1 || s.indexOf("prototype") !== -1) firstMatch(POLLUTING_IN_VALUE, s, "code.prototype-pollution", 0.85, out);
    }
    // A key is judged like a value too: a JSON key can carry the payload.
    for (const p of PATTERNS) firstMatch(p.re, s, p.rule, p.strength, out);
    return strongestPerRule(out);
  },
};
