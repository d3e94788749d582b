/**
 * Serialized objects sent to an application that will deserialize them: Java (the stream magic
 * `AC ED 00 05` raw, in hex or in base64 `rO0AB`; gadget class names, also inside base64 at any byte
 * offset; `XMLDecoder` documents), PHP
 * (`O:8:"stdClass":1:{...}` with a length that matches its class name, `C:` custom objects), YAML
 * language tags (`!!python/object`, `!!javax.script.ScriptEngineManager`, `!ruby/object`), .NET type
 * names (`$type` or `__type` with an assembly-qualified type), BinaryFormatter streams and XAML that
 * starts a process, Ruby Marshal objects and gadget classes, Node.js serialized functions, Python pickles
 * (base64 of the protocol header, or the opcodes that import a callable: `cos\nsystem\n`) and jsonpickle
 * objects that name a callable of `os` or `subprocess`; JDBC URLs whose driver properties run or load code.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { asciiSet, finding, isWordCode, strongestPerRule } from "./text.ts";

interface Pattern {
  re: RegExp;
  rule: string;
  strength: number;
}

/** A class of the Java platform by its full name (`java.util.PriorityQueue`): how XStream names an element. */
const JAVA_PLATFORM_CLASS = String.raw`(?:java|javax|jdk|sun|com\.sun)(?:\.[\w$]+){2,}`;

/** A base64 token starts here: not in the middle of another one. */
const B64_START = "(?<![A-Za-z0-9+/])";

/**
 * The classes Ruby gadget chains are made of (RubyGems' and Net's, which run a command when read back),
 * named by nothing else: proof in any text. Inside a Marshal stream RUBY_GADGET_CLASS adds the ones
 * gemspecs and Ruby code name too.
 */
const RUBY_GADGETS = String.raw`Net::WriteAdapter|Gem::(?:StubSpecification|Source::SpecificFile|Package::TarReader|RequestSet::Lockfile)|DeprecatedInstanceVariableProxy`;
/** The base64 of a pickle's protocol 2-5 header and the opcode after it, where a token starts (after `_` or `-` too: `sess-gASV…`). */
const PICKLE_BASE64 = new RegExp(`${B64_START}gA(?:[JNRV][j9V]|[SW]V)[A-Za-z0-9+/_-]{4}`, "g");
/** Headers looked at per value: a value of many near-headers is not read for ever. */
const MAX_PICKLE_HEADERS = 16;
/** Opcodes a protocol 2 or 3 pickle's object starts with after `}`, `]` or `)`: a memo put, a mark, the end. */
const AFTER_EMPTY = new Set([0x71, 0x72, 0x28, 0x2e, 0x94]);

/**
 * A pickle in base64 or base64url, read far enough to be sure: protocol 4 and 5 open with a FRAME whose
 * length fits in four bytes, or (as protocol 2 and 3 do) with a GLOBAL that names a module (`cos\n…`)
 * or an empty container and then a memo or a mark. Four characters alone turn up by chance in a long random token
 * (`…N0_gAJj7dYc…` in a cookie's ciphertext); what follows them in a real pickle does not.
 */
function pickleBase64(s: string, out: Finding[]): void {
  PICKLE_BASE64.lastIndex = 0;
  let seen = 0;
  for (let m = PICKLE_BASE64.exec(s); m && seen < MAX_PICKLE_HEADERS; m = PICKLE_BASE64.exec(s), seen++) {
    const chunk = s.slice(m.index, m.index + 64).match(/^[A-Za-z0-9+/_-]*/)![0];
    // Node's and Bun's base64 decoder reads base64url's `-` and `_` too.
    const bytes = Buffer.from(chunk.slice(0, chunk.length - (chunk.length % 4)), "base64");
    if (isPickleStart(bytes)) {
      out.push(finding("deserialization", "deserialization.pickle", 0.85, m.index, m.index + m[0].length));
      return;
    }
  }
}

function isPickleStart(b: Uint8Array): boolean {
  if (b.length < 12 || b[0] !== 0x80 || b[1]! < 2 || b[1]! > 5) return false;
  if (b[2] === 0x95) return b[1]! >= 4 && b[7] === 0 && b[8] === 0 && b[9] === 0 && b[10] === 0;
  if (b[2] === 0x63) {
    // GLOBAL: a module's name and an attribute's, each ended by a line break.
    const name = (from: number) => {
      let k = from;
      while (k < b.length && (isWordCode(b[k]!) || b[k] === 0x2e)) k++;
      return k > from && b[k] === 0x0a ? k + 1 : -1;
    };
    const attribute = name(3);
    return attribute !== -1 && (attribute >= b.length || name(attribute) !== -1 || attribute + 16 > b.length);
  }
  return (b[2] === 0x7d || b[2] === 0x5d || b[2] === 0x29) && AFTER_EMPTY.has(b[3]!);
}

/** Python modules whose callables run a command or load code: what a jsonpickle object names to be called. */
const PYTHON_RUNNERS = "os|posix|nt|subprocess|builtins|__builtin__|commands|pty|socket|sys|importlib|pickle";

const PATTERNS: Pattern[] = [
  { re: new RegExp(`${B64_START}rO0AB[A-Za-z0-9+/]`, "g"), rule: "deserialization.java-base64", strength: 0.95 },
  // The same magic one or two bytes into a base64 stream: `AC ED 00 05` after one byte is `?[Kaq6]ztAA[U-X]`, after two `??[CGKOSWaeimquy26+]s7QAF`.
  { re: /(?<=[A-Za-z0-9+/])[Kaq6]ztAA[U-X]|(?<=[A-Za-z0-9+/]{2})[CGKOSWaeimquy26+]s7QAF/g, rule: "deserialization.java-base64", strength: 0.9 },
  { re: /(?<![0-9a-f])aced0005[0-9a-f]{4}/gi, rule: "deserialization.java-hex", strength: 0.9 },
  { re: /\u00ac\u00ed\u0000\u0005/g, rule: "deserialization.java-bytes", strength: 0.95 },
  // Java gadget classes: only a serialized payload or an exploit names them.
  // fastjson also takes a class as a JVM descriptor, `Lcom.sun.rowset.JdbcRowSetImpl;` (and `LL…;;`);
  // ColdFusion's WDDX drops a type's first and last letters, so its exploits wrap one (`xcom.sun.…Implx`).
  { re: /(?<![$.])L*(?:org\.apache\.commons\.collections4?\.(?:functors|keyvalue)\.\w+|com\.sun\.org\.apache\.xalan\.internal\.xsltc\.trax\.TemplatesImpl|sun\.reflect\.annotation\.AnnotationInvocationHandler|com\.sun\.rowset\.JdbcRowSetImpl|org\.springframework\.beans\.factory\.ObjectFactory|oracle\.toplink\.internal\.sessions\.UnitOfWorkChangeSet|ysoserial\.\w+)/g, rule: "deserialization.java-gadget", strength: 0.9 },
  // JAAS's JNDI login module with its provider URL: what a client-configured connector (Kafka's
  // `sasl.jaas.config`) is given to make the server look up an attacker's LDAP name.
  { re: /\bcom\.sun\.security\.auth\.module\.JndiLoginModule\b[^;]{0,200}?\b(?:user|group)\.provider\.url\s*=\s*\\?["']?(?:ldaps?|rmi|iiop|dns|corba):/gi, rule: "deserialization.java-gadget", strength: 0.85 },
  // Commons Collections functors and factories, by their short names (gadget chains name them, often lower-cased).
  { re: /(?<![a-z])(?:invoker|chained|constant|instantiate|clone)transformer|(?<![a-z])(?:for|while)closure|(?<![a-z])(?:instantiate|prototypeclone|prototypeserialization)factory/gi, rule: "deserialization.java-gadget", strength: 0.85 },
  { re: /<java\b[^>]{0,200}class\s*=\s*["']java\.beans\.XMLDecoder["']/gi, rule: "deserialization.java-xmldecoder", strength: 0.95 },
  { re: /<object\b[^>]{0,100}class\s*=\s*["']java\.lang\.(?:ProcessBuilder|Runtime)["']/gi, rule: "deserialization.java-xmldecoder", strength: 0.95 },
  // The decoder's own document without its class attribute (WebLogic's WorkContext header), opening on
  // what it builds, as the decoder spells it: `<java><class><string>…`, `<java><object class=`,
  // `<java><void method=`. A tag list (`<java><class><inner-classes>`) names no class.
  { re: /<java(?:\s[^<>]{0,200})?>\s*(?:<class>\s*<string>|<(?:object|array|new)\s+class\s*=|<void\s+(?:class|method|property)\s*=)/gi, rule: "deserialization.java-xmldecoder", strength: 0.85 },
  { re: /<(?:dynamic-proxy|sorted-set)>\s*<(?:interface|dynamic-proxy)>/gi, rule: "deserialization.xstream", strength: 0.85 },
  // XStream names an element by the class it makes: `<java.util.PriorityQueue serialization='custom'>`
  // (not a generic type's argument: `java.util.List<java.lang.Integer>`).
  { re: new RegExp(String.raw`(?<![\w$.])<${JAVA_PLATFORM_CLASS}\s+serialization\s*=\s*["']custom["']`, "g"), rule: "deserialization.xstream", strength: 0.9 },
  { re: new RegExp(String.raw`(?<![\w$.])<${JAVA_PLATFORM_CLASS}\s*>`, "g"), rule: "deserialization.xstream", strength: 0.7 },
  // YAML language tags build arbitrary objects of that language.
  { re: /!!(?:python\/(?:object|name|module)|ruby\/|js\/function|javax?\.|com\.sun\.|org\.|net\.|sun\.)/g, rule: "deserialization.yaml-tag", strength: 0.9 },
  { re: /(?<![\w!])!ruby\/(?:object|hash|struct|marshal):/g, rule: "deserialization.yaml-tag", strength: 0.9 },
  // .NET: a polymorphic type name with its assembly (`Namespace.Type, Assembly`), or a well-known gadget.
  { re: /["']?(?:\$type|__type)["']?\s*:\s*["'][\w.`+[\]]+\.\w+\s*,\s*[\w.]+/g, rule: "deserialization.dotnet-type", strength: 0.9 },
  { re: /\bSystem\.(?:Windows\.Data\.ObjectDataProvider|Diagnostics\.Process|Security\.Principal\.WindowsIdentity|Management\.Automation\.PSObject|Configuration\.Install\.AssemblyInstaller|Activities\.Presentation\.WorkflowDesigner|Windows\.Forms\.AxHost)\b/g, rule: "deserialization.dotnet-gadget", strength: 0.9 },
  // .NET BinaryFormatter: the stream header (`00 01 00 00 00 FF FF FF FF 01 ...`) in base64 or hex.
  { re: new RegExp(`${B64_START}AAEAAAD/////`, "g"), rule: "deserialization.dotnet-binary", strength: 0.9 },
  { re: /(?<![0-9a-f])0001000000ffffffff01/gi, rule: "deserialization.dotnet-binary", strength: 0.9 },
  { re: /\x00\x01\x00\x00\x00\xff\xff\xff\xff\x01/g, rule: "deserialization.dotnet-binary", strength: 0.9 },
  // XAML that builds a process: ObjectDataProvider calling a method, or the System.Diagnostics namespace bound.
  { re: /<(?:\w+:)?ObjectDataProvider\b[^>]{0,300}\bMethodName\s*=|clr-namespace:System\.Diagnostics\b/g, rule: "deserialization.dotnet-gadget", strength: 0.9 },
  // SharePoint's PerformancePoint data set, whose compressed table a control deserializes (ToolShell).
  { re: /\bMicrosoft\.PerformancePoint\.Scorecards\.ExcelDataSet\b|\bExcelDataSet\b[^<>]{0,300}\bCompressedDataTable\s*=/g, rule: "deserialization.dotnet-gadget", strength: 0.9 },
  // Ruby Marshal (`04 08`) of an object (`o:` and its class's symbol), in base64 or as bytes; and the
  // gadget classes. A Rails session cookie is a Marshal hash (`BAh7`), not an object (rubyMarshal).
  { re: new RegExp(`${B64_START}BAhvO[g-v]`, "g"), rule: "deserialization.ruby-marshal", strength: 0.85 },
  { re: /\x04\x08o:/g, rule: "deserialization.ruby-marshal", strength: 0.9 },
  { re: new RegExp(String.raw`\b(?:${RUBY_GADGETS})\b`, "g"), rule: "deserialization.ruby-gadget", strength: 0.85 },
  // Python's jsonpickle builds the object (`py/object`), calls the callable (`py/reduce`, `py/function`) it names.
  { re: new RegExp(String.raw`["']py\/(?:object|type|function|reduce|newobj)["']\s*:\s*(?:\[\s*\{\s*["']py\/(?:function|type)["']\s*:\s*)?["'](?:${PYTHON_RUNNERS})\.\w+`, "g"), rule: "deserialization.jsonpickle", strength: 0.95 },
  { re: /["']py\/(?:reduce|function)["']\s*:/g, rule: "deserialization.jsonpickle", strength: 0.8 },
  // Node.js: node-serialize's function marker (the function is built with eval when read) and funcster's.
  { re: /_\$\$ND_FUNC\$\$_|\b__js_function\b/g, rule: "deserialization.node-function", strength: 0.9 },
  // Python pickle (its base64 is pickleBase64's): a GLOBAL opcode importing a dangerous callable, after
  // the PROTO opcode of protocols 2-5 (`\x80\x02`..`\x80\x05`) or where an object starts.
  { re: /(?:^|[(\n.]|\x80[\x02-\x05])c(?:os|posix|nt|subprocess|builtins|__builtin__|commands|sys|pty|socket)\n\w+\n/g, rule: "deserialization.pickle", strength: 0.95 },
  // Protocol 4 and 5 import by STACK_GLOBAL: the module's and the callable's names as short strings
  // (`\x8c` and a length byte), each memoized (`\x94`) or not, then `\x93`.
  { re: /\x8c[\x01-\x20](?:os|posix|nt|subprocess|builtins|__builtin__|commands|sys|pty|socket)\x94?\x8c[\x01-\x40]\w{1,64}\x94?\x93/g, rule: "deserialization.pickle", strength: 0.95 },
];

/**
 * PHP `O:<n>:"<class>":<count>:{` and `C:<n>:"<class>":<len>:{`, with n the class name's length (as
 * unserialize checks; `O:+8:` is the same to PHP). The length check keeps prose like `O:1:"a"` out.
 */
const PHP_OBJECT = /(?<![A-Za-z0-9])([OC]):\+?(\d{1,3}):"([A-Za-z_\\][\w\\]{0,200})":\+?\d{1,6}:\{/g;

function phpObjects(s: string, out: Finding[]): void {
  for (const m of s.matchAll(PHP_OBJECT)) {
    if (Number(m[2]) !== m[3]!.length) continue;
    out.push(finding("deserialization", "deserialization.php-object", 0.9, m.index, m.index + m[0].length));
  }
}

/**
 * Ruby Marshal in base64 (`04 08` is `BAh`) of an array, an object, a user-marshalled object, one with
 * instance variables or a hash (`BAhb`, `BAhv`, `BAhV`, `BAhJ`, `BAh7`): gadget chains dump them, and a
 * forged Rails session is a hash holding one. Decoded (its first 64 KiB), it names the classes to
 * build: a known gadget, or for anything but a hash a class in a namespace (`Gem::Requirement`). A
 * Rails session's own hash names the framework's classes (`ActionDispatch::Flash::FlashHash`), not
 * gadgets.
 */
const RUBY_MARSHAL_BASE64 = new RegExp(`${B64_START}BAh[bvVJ7][A-Za-z0-9+/=]{8,}`, "g");
const RUBY_GADGET_CLASS = new RegExp(String.raw`${RUBY_GADGETS}|Gem::(?:Requirement|Installer|SpecFetcher|RequestSet)|\bERB\b`);
const RUBY_NAMESPACED_OBJECT = /[oUcm]:.{0,2}[A-Z]\w*::[A-Z]/;
const RUBY_MARSHAL_READ = 87_384; // base64 characters of 64 KiB

function rubyMarshal(s: string, out: Finding[]): void {
  RUBY_MARSHAL_BASE64.lastIndex = 0;
  for (let m = RUBY_MARSHAL_BASE64.exec(s), runs = 0; m && runs < 8; m = RUBY_MARSHAL_BASE64.exec(s), runs++) {
    const bytes = Buffer.from(m[0].slice(0, RUBY_MARSHAL_READ), "base64").toString("latin1");
    if (RUBY_GADGET_CLASS.test(bytes) || (m[0][3] !== "7" && RUBY_NAMESPACED_OBJECT.test(bytes))) {
      out.push(finding("deserialization", "deserialization.ruby-marshal", 0.9, m.index, m.index + m[0].length));
      return;
    }
  }
}

/**
 * Driver properties that run a script (H2's INIT, its `\` escapes undone), deserialize what the server
 * sends or load a class it names (MySQL's autoDeserialize and interceptors, in the URL's query or in
 * its `address=(...)` and `(host=...,...)` forms; PostgreSQL's socketFactory, sslfactory, loggerFile;
 * DB2's JNDI reroute), by the driver the URL names (after `jdbc:`, a wrapper's name may come first:
 * `jdbc:p6spy:mysql:`, `jdbc:mysql+srv:`).
 */
const MYSQL_PROPERTIES = /[?&(,](?:autoDeserialize\s*=\s*(?:true|yes|1)|(?:queryInterceptors|statementInterceptors|exceptionInterceptors)\s*=|allow(?:Load|Url(?:In)?)LocalInfile\s*=\s*(?:true|yes|1))/i;
const JDBC_PROPERTIES: [string, RegExp][] = [
  ["h2:", /;\s*INIT\s*=/i],
  ["mysql", MYSQL_PROPERTIES],
  ["mariadb", MYSQL_PROPERTIES],
  ["postgresql", /[?&](?:socketFactory|sslfactory|loggerFile|sslhostnameverifier|sslpasswordcallback)\s*=/i],
  ["db2", /clientRerouteServerListJNDIName\s*=/i],
];
/** Where a driver's name may sit after `jdbc:`: a wrapper's name and a `+srv` before it. */
const JDBC_DRIVER_HEAD = 40;

/** A quote, an angle bracket or a line break: where a JDBC URL written in text ends (H2's settings may hold blanks). */
const endsUrl = (c: number) => c === 10 || c === 13 || c === 34 || c === 39 || c === 60 || c === 62;

/**
 * A JDBC URL whose driver properties run or load code: an application that connects where a request
 * says becomes the attacker's server's client. `jdbc:` in any case; each URL read once, to its end.
 */
function jdbcUrls(s: string, out: Finding[]): void {
  const lower = s.toLowerCase();
  for (let at = lower.indexOf("jdbc:"); at !== -1; ) {
    let end = at + 5;
    while (end < s.length && !endsUrl(s.charCodeAt(end))) end++;
    const head = lower.slice(at + 5, at + 5 + JDBC_DRIVER_HEAD);
    const url = s.slice(at, end);
    for (const [driver, property] of JDBC_PROPERTIES) {
      if (head.includes(driver) && property.test(driver === "h2:" ? url.replaceAll("\\", "") : url)) {
        out.push(finding("deserialization", "deserialization.jdbc-url", 0.9, at, end));
        return;
      }
    }
    at = lower.indexOf("jdbc:", Math.max(end, at + 5));
  }
}

/** `Namespace.Type, Assembly`: a .NET type name with the assembly to load it from. */
const ASSEMBLY_QUALIFIED = /^[\w.`+[\]]+\.\w+\s*,\s*[\w.]+/;

/**
 * Class names a Java gadget chain carries (the process classes and Commons Collections' functors). A
 * serialized stream is sent base64-encoded, and a name in it can start at any of the three byte offsets
 * of a base64 group, so each is looked for in all three spellings. Only the characters that the name
 * alone decides are kept (the first and last one or two also hold the neighbouring bytes' bits).
 */
const BASE64_GADGET_NAMES = [
  "java.lang.Runtime", "java/lang/Runtime", "ProcessBuilder", "processbuilder", "getRuntime",
  ...["InvokerTransformer", "ChainedTransformer", "InstantiateTransformer", "ConstantTransformer", "InstantiateFactory", "PrototypeCloneFactory", "PrototypeSerializationFactory", "ForClosure", "WhileClosure", "TemplatesImpl", "AnnotationInvocationHandler"]
    .flatMap((n) => [n, n.toLowerCase()]),
];

/** The base64 characters that spell `name` when it starts `offset` bytes into a 3-byte group. */
function base64Spelling(name: string, offset: number): string {
  const bytes = Buffer.from(name, "latin1");
  // The same name between two different neighbours: the characters both encodings share are the name's own.
  const around = (fill: number) => Buffer.concat([Buffer.alloc(offset, fill), bytes, Buffer.alloc(3, fill)]).toString("base64");
  const a = around(0x00);
  const b = around(0xff);
  let start = 0;
  while (start < a.length && a[start] !== b[start]) start++;
  const end = Math.ceil(((offset + bytes.length) * 8) / 6);
  let last = end;
  while (last > start && a[last - 1] !== b[last - 1]) last--;
  return a.slice(start, last);
}

const BASE64_GADGET_SPELLINGS = [...new Set(BASE64_GADGET_NAMES.flatMap((n) => [0, 1, 2].map((o) => base64Spelling(n, o))))];
const BASE64_GADGET = new RegExp(BASE64_GADGET_SPELLINGS.map((f) => f.replace(/[+/]/g, "\\$&")).join("|"), "g");
/**
 * The shortest of those spellings: a value with no run of base64 characters this long holds none, and
 * skips the search (dozens of alternatives tried at every character of every value).
 */
const MIN_GADGET_SPELLING = Math.min(...BASE64_GADGET_SPELLINGS.map((f) => f.length));

const BASE64_CHARS = asciiSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

/** Whether `s` holds a run of at least `length` base64 characters (`A-Z a-z 0-9 + /`). */
function hasBase64Run(s: string, length: number): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !BASE64_CHARS[c]) run = 0;
    else if (++run >= length) return true;
  }
  return false;
}

/**
 * Classes that polymorphic JSON binders (Jackson's default typing, fastjson's `@type`) can be made to
 * build, each of which loads code or a JNDI name from the value. They are also ordinary classes of
 * Spring and JDBC code, so a code sample or a config file names them: proof only where a binder reads
 * them (the whole value, as a typed array's first element is, or right after `@type`/`@class`).
 */
const BINDER_GADGET =
  /(?<![\w$.])L*(?:org\.springframework\.context\.support\.(?:ClassPathXml|FileSystemXml)ApplicationContext|com\.zaxxer\.hikari\.HikariConfig|ch\.qos\.logback\.core\.db\.(?:JNDIConnectionSource|DriverManagerConnectionSource)|org\.apache\.xbean\.propertyeditor\.JndiConverter|com\.mchange\.v2\.c3p0\.(?:JndiRefForwardingDataSource|WrapperConnectionPoolDataSource)|org\.apache\.ibatis\.datasource\.jndi\.JndiDataSourceFactory|org\.apache\.tomcat\.dbcp\.dbcp2?\.BasicDataSource|org\.apache\.commons\.configuration2?\.JNDIConfiguration|com\.sun\.org\.apache\.bcel\.internal\.util\.ClassLoader|org\.apache\.shiro\.jndi\.JndiObjectFactory|org\.apache\.openjpa\.ee\.(?:RegistryManagedRuntime|JNDIManagedRuntime));*/;
/** `"@type":"` or `"@class": "` just before a class name. */
const TYPE_KEY_BEFORE = /["']@(?:type|class)["']\s*:\s*["']$/;

/**
 * fastjson's probes: a class that resolves a name or opens a URL as it is built (`{"@type":
 * "java.net.Inet4Address", "val": "x.dnslog.example"}`), sent to learn from the DNS query whether the
 * binder builds what `@type` names. An honest JSON document names no Java class under `@type`.
 */
const BINDER_PROBE = /["']@(?:type|class)["']\s*:\s*["']java\.net\.(?:Inet[46]?Address|InetSocketAddress|URL)["']/;

function binderGadget(s: string, out: Finding[]): void {
  const probe = s.indexOf("@") !== -1 ? BINDER_PROBE.exec(s) : null;
  if (probe) out.push(finding("deserialization", "deserialization.binder-probe", 0.85, probe.index, probe.index + probe[0].length));
  const m = BINDER_GADGET.exec(s);
  if (!m) return;
  const end = m.index + m[0].length;
  const whole = s.slice(0, m.index).trim() === "" && s.slice(end).trim() === "";
  const typed = TYPE_KEY_BEFORE.test(s.slice(Math.max(0, m.index - 24), m.index));
  out.push(finding("deserialization", "deserialization.java-gadget", whole || typed ? 0.9 : 0.6, m.index, end));
}

/**
 * An XML element named by a class of the Java platform (`<java.util.PriorityQueue>`), or XStream's
 * `<dynamic-proxy>`: XStream writes an object as elements named by its classes, and reads them back
 * into whatever they name. A document of honest data names its elements by what they mean.
 */
const XSTREAM_ELEMENT = new RegExp(`^(?:${JAVA_PLATFORM_CLASS}|dynamic-proxy)$`);

/** jsonpickle's keys that name what to build or call, and the modules whose callables run a command or code. */
const JSONPICKLE_KEY = /^py\/(?:object|type|function|reduce|newobj)$/;
const PYTHON_RUNNER = new RegExp(String.raw`^(?:${PYTHON_RUNNERS})\.\w+`);

/**
 * Characters one of the forms needs. A Java class is named in full from its package's top (`org.`,
 * `com.`, `ch.`, `sun.`, `ysoserial.`; `java.` and `jdk.` only as an element): any three dots would let
 * every IP address, version and host name through. A type key is `$type`, `__type` or `@type`.
 */
const TRIGGER = /_FUNC\$|__js_|rO0AB|ztAA|s7QAF|transformer|closure|factory|aced0005|\u00ac\u00ed|[OC]:\+?\d|!!|!ruby|[$_@]type|System\.|<java|<object|gA[JNRSVW]|\n|(?:org|com|ch|sun|ysoserial|oracle)\.\w+\.|ExcelDataSet|sorted-set|dynamic-proxy|<(?:sun|com\.sun|jdk)\.|AAEAAAD|0001000000ff|\x00\x01\x00\x00\x00\xff|ObjectDataProvider|clr-namespace|BAh[bvVJ7]|\x04\x08o:|::|py\/|jdbc:|\x93/i;

export const deserializationAnalyzer: Analyzer = {
  name: "deserialization",
  // A Java stream written in hex (`aced0005…`) is an identifier to look at.
  readsIdentifiers: true,
  analyze(input: AnalyzerInput): Finding[] {
    // In a URL path `/` separates segments (a stream's own `/` arrives escaped, in a segment leaf of
    // its own): read as a space there, a stream that starts a segment starts a base64 run. Same length.
    const s = input.kind === "path" ? input.text.replaceAll("/", " ") : input.text;
    const out: Finding[] = [];
    // A JSON leaf named `$type` holds just the type name.
    if ((input.name === "$type" || input.name === "__type") && input.kind === "value" && ASSEMBLY_QUALIFIED.test(s)) {
      out.push(finding("deserialization", "deserialization.dotnet-type", 0.9, 0, s.length));
    }
    if (s.length >= 8 && hasBase64Run(s, MIN_GADGET_SPELLING)) {
      BASE64_GADGET.lastIndex = 0;
      const m = BASE64_GADGET.exec(s);
      if (m) out.push(finding("deserialization", "deserialization.java-gadget-base64", 0.85, m.index, m.index + m[0].length));
    }
    if (input.kind === "key" && input.location === "body" && input.path.startsWith("body.xml") && !input.path.includes("@") && XSTREAM_ELEMENT.test(s)) {
      out.push(finding("deserialization", "deserialization.xstream", 0.9, 0, s.length));
    }
    // A JSON leaf under jsonpickle's keys holds just the callable's or class's name.
    if (input.kind === "value" && JSONPICKLE_KEY.test(input.name) && PYTHON_RUNNER.test(s)) {
      out.push(finding("deserialization", "deserialization.jsonpickle", 0.95, 0, s.length));
    }
    if (s.length < 4 || !TRIGGER.test(s)) return out;
    for (const p of PATTERNS) {
      p.re.lastIndex = 0;
      const m = p.re.exec(s);
      if (m) out.push(finding("deserialization", p.rule, p.strength, m.index, m.index + m[0].length));
    }
    if (s.indexOf("gA") !== -1) pickleBase64(s, out);
    binderGadget(s, out);
    phpObjects(s, out);
    jdbcUrls(s, out);
    rubyMarshal(s, out);
    return strongestPerRule(out);
  },
};
