import { describe, expect, test } from "bun:test";
import { ldapAnalyzer } from "../../../src/detect/analyzers/ldap.ts";
import { HUGE, leaf, maxStrength, rules, spansValid, wideJunk } from "./helpers.ts";

describe("ldap analyzer", () => {
  test("closing the filter and opening another is strong, with the breakout as evidence", () => {
    const text = "*)(uid=*))(|(uid=*";
    const found = ldapAnalyzer.analyze(leaf(text));
    expect(found[0]!.rule).toBe("ldap.filter-breakout");
    expect(text.slice(found[0]!.start, found[0]!.end)).toBe(")(uid=");
    expect(maxStrength(ldapAnalyzer, leaf("admin)(&)"))).toBeGreaterThanOrEqual(0.8);
    expect(maxStrength(ldapAnalyzer, leaf("x)(|(objectClass=*)"))).toBeGreaterThanOrEqual(0.8);
    expect(maxStrength(ldapAnalyzer, leaf("val)!(sn=*"))).toBeGreaterThanOrEqual(0.8);
    expect(maxStrength(ldapAnalyzer, leaf("admin)(|"))).toBeGreaterThanOrEqual(0.8);
  });

  test("a filter of its own, and a wildcard that closes the group", () => {
    expect(rules(ldapAnalyzer, leaf("*(|(mail=*))"))).toEqual(["ldap.filter"]);
    expect(rules(ldapAnalyzer, leaf("jdoe*)"))).toEqual(["ldap.wildcard-close"]);
    expect(maxStrength(ldapAnalyzer, leaf("*))\0"))).toBeGreaterThanOrEqual(0.8);
    // After a group of its own, the `)` still closes one the value never opened.
    expect(rules(ldapAnalyzer, leaf("(*)*)"))).toEqual(["ldap.wildcard-close"]);
    for (const text of ["(*)", "(a*) and (b*)", "x (see*) y", "(cn=a*)"]) expect([text, ldapAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    // Blanks before the term pad the value; they do not open a group.
    for (const text of ["\tadmin*)((|userpassword=*)   ", "  *)"]) expect([text, rules(ldapAnalyzer, leaf(text))]).toEqual([text, ["ldap.wildcard-close"]]);
    // A route's segment starts after its slash.
    expect(rules(ldapAnalyzer, leaf("/users/admin*)((|userpassword=*)", { kind: "path", location: "path", path: "path", name: "" }))).toEqual(["ldap.wildcard-close"]);
    expect(ldapAnalyzer.analyze(leaf("(see /docs/*)"))).toEqual([]);
  });

  test("a breakout naming a directory's secret or privilege attribute (Active Directory's, POSIX accounts') is plainly aimed at LDAP", () => {
    for (const v of ["*)(ms-Mcs-AdmPwd=*", "x)(unicodePwd=*", "*)(adminCount=1", "*)(sshPublicKey=*"]) expect([v, maxStrength(ldapAnalyzer, leaf(v))]).toEqual([v, 0.85]);
    expect(maxStrength(ldapAnalyzer, leaf("*)(favouriteColour=*"))).toBe(0.65);
  });

  test("an extensible match after the breakout (a matching rule's name or OID), and the blanks lenient servers skip between components", () => {
    for (const v of ["*)(userAccountControl:1.2.840.113556.1.4.803:=2)", "admin)(uid:2.5.13.2:=*", "x)(cn:dn:caseIgnoreMatch:=admin", "*)\t(|\t(cn=*", "admin ) ( | ( uid = * )"]) {
      expect([v, rules(ldapAnalyzer, leaf(v)), maxStrength(ldapAnalyzer, leaf(v)) >= 0.85]).toEqual([v, ["ldap.filter-breakout"], true]);
    }
    // Arithmetic in parentheses is no assertion, nor is a bare `:=` an extensible match.
    for (const v of ["f(x) (y = 2)", "f(x) (o = 2)", "Fields (optional) (name = display name)", "foo()(a:=1)"]) expect([v, ldapAnalyzer.analyze(leaf(v))]).toEqual([v, []]);
  });

  test("groups closed and the filter cut off by a NUL; a distinguished name extended, proof in an account's field", () => {
    for (const v of ["admin)\0", "x))\0", "admin) \0"]) expect([v, rules(ldapAnalyzer, leaf(v)), maxStrength(ldapAnalyzer, leaf(v))]).toEqual([v, ["ldap.closed-then-cut"], 0.85]);
    for (const v of ["admin,ou=Administrators,dc=example,dc=com", "jdoe,ou=admins", "x\\,ou=system"]) {
      expect([v, rules(ldapAnalyzer, leaf(v, { name: "username" })), maxStrength(ldapAnalyzer, leaf(v, { name: "username" }))]).toEqual([v, ["ldap.dn-injection"], 0.85]);
    }
    expect(maxStrength(ldapAnalyzer, leaf("jdoe,ou=admins", { name: "q" }))).toBe(0.5);
    // A name with a comma, a whole distinguished name (an LDAP tool's field), a list item with a NUL after it.
    for (const v of ["Smith, John", "John Smith, CEO", "Doe,Jane", "uid=admin,ou=system", "1) first\0"]) expect([v, ldapAnalyzer.analyze(leaf(v, { name: "user" }))]).toEqual([v, []]);
    // A whole DN read as a query string of one parameter (`CN=svc,OU=...` in a settings form) is that DN; a
    // query string's own account field is still read.
    const reading = (name: string, text: string) => ldapAnalyzer.analyze(leaf(text, { name, path: `body.json.bindDn~url-in-value.query.${name}` })).map((f) => f.rule);
    expect(reading("CN", "svc-moat,OU=Service Accounts,DC=corp,DC=example,DC=com")).toEqual([]);
    expect(reading("uid", "svc,ou=services,dc=example,dc=com")).toEqual([]);
    expect(reading("username", "jdoe,ou=admins,dc=example")).toEqual(["ldap.dn-injection"]);
  });

  test("a filter written whole (a directory's settings) is weak, unless it tests a secret's attribute", () => {
    for (const v of ["(&(objectClass=user)(memberOf=CN=Staff,OU=Groups,DC=corp,DC=example,DC=com))", "(|(mail=*))", " (&(uid=*)(cn=a*)) "]) expect([v, maxStrength(ldapAnalyzer, leaf(v))]).toEqual([v, 0.5]);
    for (const v of ["(&(uid=*)(userPassword=*))", "(|(unicodePwd=*)(cn=x))"]) expect([v, maxStrength(ldapAnalyzer, leaf(v)) >= 0.85]).toEqual([v, true]);
    // Not whole: closed before the end, or a wildcard first.
    for (const v of ["(cn=a)(uid=*)", "*(|(mail=*))", "x)(uid=*)(|(cn=*"]) expect([v, maxStrength(ldapAnalyzer, leaf(v)) >= 0.8]).toEqual([v, true]);
  });

  test("the filter metacharacters on their own are a weak probe", () => {
    for (const text of ["*()|&'", "&|()*", "( * | & )"]) expect([text, rules(ldapAnalyzer, leaf(text)), maxStrength(ldapAnalyzer, leaf(text))]).toEqual([text, ["ldap.metacharacter-probe"], 0.5]);
    for (const text of ["()", "(*)", "*|*", ":-) (^_^)", "a*(b)|c&d", "||&&"]) expect([text, ldapAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
  });

  test("prose with parentheses is no finding", () => {
    for (const text of ["John (Jack) Smith", "f(x)(y)", "see (a)(b) and (c)", "price: 5*(3+2)", "(555) 123-4567", "*", "admin*", "note (*) applies"]) {
      expect([text, ldapAnalyzer.analyze(leaf(text))]).toEqual([text, []]);
    }
  });

  test("a megabyte value and binary junk: a correct answer, no throw", () => {
    expect(ldapAnalyzer.analyze(leaf(HUGE))).toEqual([]);
    expect(ldapAnalyzer.analyze(leaf(")".repeat(1 << 20)))).toEqual([]);
    expect(rules(ldapAnalyzer, leaf(`${") ".repeat(100_000)}(cn=x`))).toEqual(["ldap.filter-breakout"]);
    const j = wideJunk();
    expect(spansValid(ldapAnalyzer.analyze(leaf(j)), j)).toBe(true);
  });
});
