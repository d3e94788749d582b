/**
 * What the inside of a template or expression-language construct does. Benign templates name values
 * (`{{ user.name }}`, `${price}`, `{{#each items}}`); injection probes compute (`7*7`), walk into the
 * runtime (`''.__class__.__mro__`, `getClass().forName(...)`, `T(java.lang.Runtime)`), call what runs
 * commands (`popen`, `exec`, `system`), reach the template engine's globals (`config`, `self`,
 * `request`) or feed names to filters that call them (`|attr(...)`, `|filter('system')`).
 * The content is read with the JavaScript lexer: Jinja, Twig, EL, SpEL, OGNL and Ruby expressions
 * share its tokens (names, strings, numbers, punctuation).
 */
import { lexJs, type Token } from "../js/lexer.ts";

export interface ContentVerdict {
  construct: string;
  strength: number;
  /** A probe only as the whole value: inside a template the construct is the template's own. */
  wholeOnly?: boolean;
}

/** Calls that run commands or code, or reach classes by name, in the languages templates embed. */
const EXEC_NAMES = new Set([
  "popen", "system", "exec", "spawn", "passthru", "shell_exec", "proc_open", "eval", "subprocess", "check_output", "getoutput",
  "getruntime", "processbuilder", "forname", "getclass", "classloader", "getclassloader", "loadclass", "defineclass", "getmethod",
  "getdeclaredmethod", "getdeclaredfield", "setaccessible", "invoke", "newinstance", "scriptenginemanager", "getenginebyname",
  "__import__", "import_module", "instance_eval", "class_eval", "getattribute", "registerundefinedfiltercallback", "child_process",
  // AngularJS sandbox escapes reach Function through it: `{{constructor.constructor('...')()}}`.
  "constructor",
]);

/** Members that lead to Function or to every object's prototype, when a string names them. */
const NAMED_MEMBERS = new Set(["constructor", "__proto__", "prototype"]);

/** Template engines' own globals: reaching them is how a sandbox escape starts. */
const TEMPLATE_GLOBALS = new Set([
  "config", "self", "request", "app", "settings", "lipsum", "cycler", "joiner", "namespace", "url_for", "get_flashed_messages",
  "_self", "_context", "environment", "application", "session", "servletcontext", "facescontext", "pagecontext",
  // JSP and JSF expression language's implicit objects: the application's, session's and request's attributes
  "applicationscope", "sessionscope", "requestscope", "initparam",
]);

/** A member that names a secret: `{{ config.SECRET_KEY }}`, `{{ settings.DATABASES }}` read off an engine global is the secret leaked. */
const SECRET_MEMBER = /secret|passw|credential|api_?key|private_?key|databases/i;

/** Filters that call a function named by a string. */
const CALLING_FILTERS = new Set(["attr", "filter", "map", "reduce", "sort", "select", "reject", "selectattr", "rejectattr", "apply", "call"]);

/** Roots of Java (and template engine) class names: `java.lang.Runtime`, `freemarker.template.utility.Execute`. */
const CLASS_ROOTS = new Set(["java", "javax", "jdk", "sun", "org", "com", "freemarker", "ognl", "groovy", "bsh", "system"]);

/** Ruby and Java objects whose methods read files or run commands: `File.open(...)`, `Kernel.exec`. */
const SYSTEM_OBJECTS = new Set(["File", "IO", "Kernel", "Dir", "Process", "Open3", "Runtime", "System", "Files", "Paths"]);

/** Strings naming files an attacker reads: `'/etc/passwd'`, `'C:\\windows\\win.ini'`. */
const SENSITIVE_PATH = /^\/(?:etc|proc|root|var|home)\/|passwd|shadow|win\.ini|boot\.ini/i;

const QUOTED_CLASS = /^(?:java|javax|jdk|sun|freemarker|ognl|groovy)\.[\w$]+\.[\w$.]+$/;

/** Attributes a sandbox escape walks without dunders in engines that hide them: `[].class.base.subclasses()`. */
const RUNTIME_WALK = new Set(["class", "base", "bases", "mro", "subclasses", "globals", "builtins", "init"]);

const ARITH = new Set(["*", "+", "-", "/", "%", "**"]);
const isDunder = (v: string) => v.length > 4 && v.startsWith("__") && v.endsWith("__");
const isPunct = (t: Token | undefined, v: string) => t !== undefined && t.type === "punct" && t.value === v;

/**
 * A qualified name of 3+ parts from a class root at token i: `java.lang.Runtime`. Not a host name's
 * label after a hyphen (`kube-system.svc.cluster.local`, `my-org.example.com`).
 */
function qualifiedClassAt(tokens: Token[], i: number): boolean {
  if (!isPunct(tokens[i + 1], ".") || isPunct(tokens[i - 1], ".") || !CLASS_ROOTS.has((tokens[i]!.value ?? "").toLowerCase())) return false;
  if (isPunct(tokens[i - 1], "-") && tokens[i - 1]!.end === tokens[i]!.start) return false;
  let parts = 1;
  for (let k = i + 1; isPunct(tokens[k], ".") && tokens[k + 1]?.type === "name"; k += 2) parts++;
  return parts >= 3;
}

/** Filters that compute, in Liquid (`{{ 7 | times: 7 }}`) and Django (`{{ 7|add:7 }}`), as the operator they are. */
const ARITH_FILTERS = new Map([["times", "*"], ["multiply", "*"], ["plus", "+"], ["add", "+"], ["minus", "-"], ["divided_by", "/"], ["modulo", "%"]]);

/** Only numbers (or quoted numbers), arithmetic and parentheses from token `from`: `7*7`, `7*'7'`, `(3*3)`, `7 | times: 7`. */
function arithmetic(tokens: Token[], from = 0): string | null {
  let operands = 0;
  let op = "";
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    const filter = isPunct(t, "|") && tokens[i + 1]?.type === "name" ? ARITH_FILTERS.get(tokens[i + 1]!.value ?? "") : undefined;
    if (filter) {
      op = op === "*" ? op : filter;
      i += isPunct(tokens[i + 2], ":") ? 2 : 1;
    } else if (t.type === "number" || (t.type === "string" && /^\d+$/.test(t.value ?? ""))) operands++;
    else if (t.type === "punct" && ARITH.has(t.value ?? "")) op = op === "*" ? op : t.value!;
    else if (!isPunct(t, "(") && !isPunct(t, ")")) return null;
  }
  return operands >= 2 && op ? op : null;
}

/** Statements that print their expression: Jinja's and Nunjucks' `{% print 7*7 %}`, Velocity's and PHP templates' `echo`. */
const PRINTING = new Set(["print", "echo"]);

/** Keywords that open a conditional or loop statement in the template languages. */
const CONDITIONALS = new Set(["if", "elif", "elsif", "while", "unless"]);

/** Literals a condition can be made of without naming any data: `True`, `1`, `'a'`, `7*7==49`. */
const LITERAL_NAMES = new Set(["True", "true", "False", "false", "None", "nil", "null"]);
const COMPARISONS = new Set(["==", "!=", "===", "!==", "<", ">", "<=", ">=", "!", "(", ")", ...ARITH]);

/**
 * `{% if True %}`, `<% if 7*7==49 %>`: a statement whose condition is a constant. A template that
 * means something tests data (`if user.admin`); a blind injection probe tests nothing.
 */
function constantCondition(tokens: Token[]): boolean {
  if (tokens.length < 2 || tokens[0]!.type !== "name" || !CONDITIONALS.has(tokens[0]!.value ?? "")) return false;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    const literal = t.type === "number" || t.type === "string" || (t.type === "name" && LITERAL_NAMES.has(t.value ?? ""));
    if (!literal && !(t.type === "punct" && COMPARISONS.has(t.value ?? ""))) return false;
  }
  return true;
}

/** A command named right after a call word, as Perl and Ruby call without parentheses: `system 'id'`, `exec qq{ls}`. */
const calledWithoutParens = (t: Token | undefined) => t !== undefined && (t.type === "string" || (t.type === "name" && (t.value === "qq" || t.value === "qx" || t.value === "q")));

/** Keywords that assign in template statements: `{% set x = 7*7 %}`, Velocity's `#set($x = 7*7)` (its `$x` is the first token). */
const ASSIGNING = new Set(["set", "assign"]);

/**
 * Where the assigned expression of `set x = ...` or `$x = ...` starts, or -1. Templates name constants
 * this way (`{% set seconds_per_day = 60 * 60 * 24 %}`), so a constant assigned is weak evidence.
 */
function assignedFrom(tokens: Token[]): number {
  const name = tokens[0]?.type === "name" && ASSIGNING.has(tokens[0].value ?? "") ? 1 : tokens[0]?.value?.startsWith("$") ? 0 : -1;
  return name !== -1 && tokens[name]?.type === "name" && isPunct(tokens[name + 1], "=") ? name + 2 : -1;
}

/** Python modules that run commands or load code: a template that imports one (Mako's `<%! import os %>`, Tornado's `{% import os %}`) can call them next. */
const COMMAND_MODULES = new Set(["os", "subprocess", "sys", "pty", "socket", "commands", "posix", "builtins", "importlib", "ctypes", "platform", "shutil", "pickle", "runpy", "multiprocessing"]);

/** `import json, os`, `from subprocess import ...`: a statement bringing in a module that runs commands. */
function importsCommandModule(tokens: Token[]): boolean {
  const first = tokens[0]?.value;
  if (tokens[0]?.type !== "name" || (first !== "import" && first !== "from")) return false;
  for (let i = 1; tokens[i]?.type === "name"; i += 2) {
    // `import os.path`: a submodule that reads paths, not the module that runs commands.
    if (COMMAND_MODULES.has(tokens[i]!.value ?? "") && !isPunct(tokens[i + 1], ".")) return true;
    if (first === "from" || !isPunct(tokens[i + 1], ",")) return false;
  }
  return false;
}

/** Go's text/template functions that print their arguments, escaped or formatted: `{{html "x"}}`, `{{printf "%s" "x"}}`. */
const GO_PRINTERS = new Set(["html", "js", "urlquery", "print", "printf", "println"]);

/**
 * A Go template probe: `{{.}}` prints the whole data object, and a printing function called on
 * constants alone (`{{html "ssti"}}`) echoes what the sender wrote. Both as the whole value only:
 * Mustache's and Handlebars' loops print their item with `{{.}}`, and a Helm chart prints constants.
 */
function goProbe(tokens: Token[]): boolean {
  if (tokens.length === 1) return isPunct(tokens[0], ".");
  return tokens[0]!.type === "name" && GO_PRINTERS.has(tokens[0]!.value ?? "") && tokens.slice(1).every((t) => t.type === "string" || t.type === "number");
}

/** The strongest verdict on an expression's inside s[start, end), or null when it looks like a plain placeholder. */
export function judgeContent(s: string, start: number, end: number): ContentVerdict | null {
  const tokens = lexJs(s, start, end);
  if (tokens.length === 0) return null;
  if (goProbe(tokens)) return { construct: "go-probe", strength: 0.85, wholeOnly: true };
  const op = arithmetic(tokens) ?? (tokens[0]!.type === "name" && PRINTING.has(tokens[0]!.value ?? "") ? arithmetic(tokens, 1) : null);
  if (op) return { construct: "arithmetic", strength: op === "*" ? 0.85 : 0.6 };
  if (constantCondition(tokens)) return { construct: "constant-condition", strength: 0.8 };
  const assigned = assignedFrom(tokens);
  if (assigned !== -1 && arithmetic(tokens, assigned)) return { construct: "assigned-arithmetic", strength: 0.6 };
  let dunders = 0;
  let exec = false;
  let calls = 0;
  let javaClass = false;
  let callingFilter = false;
  let global = false;
  let walk = 0;
  /** Handlebars' `lookup` helper was called: it reads a member named by a string. */
  let lookup = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(t, "(")) calls++;
    if (t.type !== "name" && t.type !== "string") continue;
    const v = t.value ?? "";
    if (t.type === "name" && v === "lookup") lookup = true;
    if (isDunder(v)) dunders++;
    if (t.type === "string") {
      // A class named in a string, for `forName`/`inspect`/`?new()` to load: `'java.lang.Runtime'`.
      if (QUOTED_CLASS.test(v)) javaClass = true;
      if (SENSITIVE_PATH.test(v)) exec = true;
      // A member reached by name where the engine hides it: Handlebars' `lookup string.sub "constructor"`,
      // a subscript `x["constructor"]`. A string alone (`eq stage "prototype"`) is data.
      if (NAMED_MEMBERS.has(v) && (lookup || isPunct(tokens[i - 1], "["))) exec = true;
      continue;
    }
    if (SYSTEM_OBJECTS.has(v) && isPunct(tokens[i + 1], ".")) exec = true;
    const afterDot = isPunct(tokens[i - 1], ".");
    const called = isPunct(tokens[i + 1], "(");
    const first = i === 0 || isPunct(tokens[i - 1], "(");
    const calledBare = calledWithoutParens(tokens[i + 1]);
    // Lower-cased only where one of the name sets below may apply ("" is in none of them).
    const lower = afterDot || called || first || calledBare ? v.toLowerCase() : "";
    if (afterDot && RUNTIME_WALK.has(lower)) walk++;
    if ((called || afterDot || calledBare) && EXEC_NAMES.has(lower)) {
      exec = true;
      if (!called) calls++;
    }
    if (qualifiedClassAt(tokens, i)) javaClass = true;
    if (called && isPunct(tokens[i - 1], "|") && CALLING_FILTERS.has(lower)) callingFilter = true;
    if (!afterDot && first && TEMPLATE_GLOBALS.has(lower)) global = true;
  }
  if (dunders >= 2 || (dunders >= 1 && (exec || calls > 0))) return { construct: "python-escape", strength: 0.95 };
  if (walk >= 2 && calls > 0) return { construct: "python-escape", strength: 0.85 };
  if (exec && (javaClass || calls > 0)) return { construct: "code-exec", strength: 0.95 };
  if (javaClass) return { construct: "class-reference", strength: 0.9 };
  if (callingFilter) return { construct: "calling-filter", strength: 0.85 };
  if (dunders === 1) return { construct: "python-escape", strength: 0.8 };
  if (exec) return { construct: "code-exec", strength: 0.7 };
  // After the calls: a block that imports a module and runs it (`<% import os; os.system('id') %>`) is code-exec above.
  if (importsCommandModule(tokens)) return { construct: "command-import", strength: 0.7 };
  if (global && tokens.some((t, k) => t.type === "name" && isPunct(tokens[k - 1], ".") && SECRET_MEMBER.test(t.value ?? ""))) return { construct: "engine-global-secret", strength: 0.85 };
  if (global && tokens.length > 1) return { construct: "engine-global", strength: calls > 0 ? 0.75 : 0.6 };
  if (global) return { construct: "engine-global", strength: 0.5 };
  return null;
}
