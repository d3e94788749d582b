/**
 * LDAP filter injection: a value that closes the filter it is pasted into and opens another one.
 * LDAP filters are prefix-notation groups, `(&(uid=VALUE)(userPassword=...))`; an injected value
 * has to close the current group with `)` and continue with a new group: `(attr=`, `(&`, `(|`, `(!`,
 * as in `*)(uid=*))(|(uid=*` or `admin)(&)`. A whole filter with an operator group
 * (`*(|(mail=*))`) is the other form. Prose has parentheses, but almost never `)(` followed by
 * `attr=` or by an operator and another parenthesis. A value that closes groups and then cuts the
 * filter off with a NUL (`admin)\0`) is the third; one that adds components to a distinguished name
 * (`jdoe,ou=admins`, pasted into `uid=VALUE,ou=users,dc=example`) the fourth.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** Attributes that hold a secret: passwords and their hashes, Windows' local administrator password, SSH keys. */
const SECRET_ATTRIBUTES = ["userpassword", "unicodepwd", "ms-mcs-admpwd", "sambantpassword", "sambalmpassword", "sshpublickey"];
/** Attributes every directory has: a breakout naming one is plainly aimed at LDAP. */
const COMMON_ATTRIBUTES = new Set([
  "uid", "cn", "sn", "ou", "o", "dc", "mail", "objectclass", "givenname", "samaccountname", "member", "memberof",
  "description", "telephonenumber", "displayname", "userprincipalname", "homedirectory", "name", "password", "user", "username",
  // Active Directory's and POSIX accounts' own: what an injection reads secrets or privileges from.
  "useraccountcontrol", "admincount", "serviceprincipalname", "objectsid", "pwdlastset", "memberuid", "uidnumber", "gidnumber", "loginshell",
  ...SECRET_ATTRIBUTES,
]);

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("ldapi", `ldap.${rule}`, strength, start, end);

/**
 * An attribute description (`uid`, `mail;lang-en`) and a comparison (`=`, `~=`, `>=`, `<=`, or an
 * extensible match's `:=` after a rule: `uid:2.5.13.2:=`, `userAccountControl:1.2.840.113556.1.4.803:=`,
 * `cn:dn:caseIgnoreMatch:=`) at i: [name, end] or null.
 */
function attributeAssertion(text: string, i: number): [string, number] | null {
  let j = i;
  while (j < text.length && j - i <= 64 && /[A-Za-z0-9;.-]/.test(text[j]!)) j++;
  if (j === i || !/[A-Za-z]/.test(text[i]!)) return null;
  const name = text.slice(i, j).replace(/;.*$/, "");
  const rule = EXTENSIBLE_RULE.exec(text.slice(j, j + 96));
  if (rule) return [name, j + rule[0].length];
  const op = text[j] === "=" ? 1 : /[~<>]/.test(text[j] ?? "") && text[j + 1] === "=" ? 2 : 0;
  return op ? [name, j + op] : null;
}

/** An extensible match's `:dn` and its matching rule (a name or an OID), at least one of them, then `:=`. */
const EXTENSIBLE_RULE = /^(?::dn(?::[A-Za-z][\w-]{0,63}|:\d+(?:\.\d+){1,20})?|:[A-Za-z][\w-]{0,63}|:\d+(?:\.\d+){1,20}):=/;

/**
 * What follows a `(` at i: an operator group (`&`, `|`, `!` then `(`, `)` or the end of the value, where
 * the application's own text goes on), an attribute assertion, or nothing.
 */
function groupAt(text: string, i: number): { kind: "operator" | "common" | "attribute"; end: number } | null {
  const c = text[i];
  if (c === "&" || c === "|" || c === "!") {
    const j = pastBlanks(text, i + 1);
    return j === text.length || text[j] === "(" || text[j] === ")" ? { kind: "operator", end: j } : null;
  }
  const assertion = attributeAssertion(text, i);
  if (!assertion) return null;
  // An extensible match (`:1.2.840.113556.1.4.803:=`) is LDAP's own syntax, whatever the attribute.
  const ldapOwn = COMMON_ATTRIBUTES.has(assertion[0].toLowerCase()) || text[assertion[1] - 2] === ":";
  return { kind: ldapOwn ? "common" : "attribute", end: assertion[1] };
}

/** Cheap check, one pass: a group closed and another opened, a wildcard closing one, or an operator group. */
const LDAP_HINT = /\)\s*[&|!]?\s*\(|\*\)|\([&|]\s*\(/;
/**
 * A wildcard term (`*`, `admin*`, after blanks, or a route's segment: `/users/admin*)`) closed by `)`,
 * and what may follow: the end, a NUL, another group or term.
 */
const WILDCARD_CLOSE = /(?<=^[ \t]{0,16}|[()/])[\w.@-]{0,64}\*\)+(?=$|[\0(*&|])/g;

/**
 * A wildcard term whose `)` closes a group the value never opened (`*)`, `admin*)`, `(*)*)`): the value
 * ends the application's filter group. `(*)` alone is a footnote marker, balanced: not this.
 */
function unopenedWildcardClose(text: string): [number, number] | null {
  WILDCARD_CLOSE.lastIndex = 0;
  let depth = 0;
  let counted = 0;
  for (let m = WILDCARD_CLOSE.exec(text); m; m = WILDCARD_CLOSE.exec(text)) {
    const close = m.index + m[0].indexOf("*)") + 1;
    for (; counted < close; counted++) depth += text[counted] === "(" ? 1 : text[counted] === ")" ? -1 : 0;
    if (depth === 0) return [m.index, m.index + m[0].length];
  }
  return null;
}

/**
 * The filter metacharacters on their own (`*()|&'`, `*)(|`): a probe for the error an unescaped filter
 * gives. A value made of nothing else, holding a wildcard, both parentheses and an operator.
 */
const METACHARACTER_PROBE = /^[\s*()|&!'"=\\]{4,16}$/;

const BREAKOUT_STRENGTH = { operator: 0.9, common: 0.85, attribute: 0.65 };

/** Blanks between filter components, which lenient servers skip. */
const isBlank = (c: string | undefined) => c === " " || c === "\t";

/** The index of the first character from i on that is no blank. */
function pastBlanks(text: string, i: number): number {
  while (isBlank(text[i])) i++;
  return i;
}

/** The attribute types a distinguished name's components name (`CN=`, `OU=`, `uid=`). */
const RDN_TYPES = "ou|dc|cn|o|uid|l|st|c|street|dnqualifier";
const RDN_TYPE = new RegExp(`^(?:${RDN_TYPES})$`, "i");

/** A term, the groups it closes, then a NUL that ends the filter there for a C library (`admin)\0`, `x))\0`). */
const CLOSED_THEN_CUT = /^[^()\0]{0,64}\)+[ \t]*\0/;

/**
 * A name with components of a distinguished name after it (`jdoe,ou=admins`, `admin,ou=Administrators,dc=example,dc=com`,
 * `x\,ou=system`): pasted into `uid=VALUE,ou=users,...`, it moves the entry to bind as or look up into
 * another branch of the directory.
 */
const DN_COMPONENTS = new RegExp(String.raw`^[^,=()\s]{1,64}\\?,[ \t]*(?:(?:${RDN_TYPES})[ \t]*=[^,]{1,64}(?:\\?,[ \t]*|$)){1,8}$`, "i");
/** Fields that hold a login name, where a distinguished name is built from the value. */
const ACCOUNT_FIELD = /user|login|account|uid|principal|bind|member|owner|^dn$|^cn$|^name$/i;

/**
 * A whole distinguished name (`CN=svc,OU=Service Accounts,DC=corp`) read as a query string of one
 * parameter (the decompose stage's `~url-in-value.query.CN` reading): the "name" and the components
 * after it are the DN an LDAP settings form holds, not a value extended.
 */
function readingOfDn(input: AnalyzerInput): boolean {
  return input.path.includes("~url-in-value.query.") && RDN_TYPE.test(input.name);
}

/** The findings that need no `)(`: a group closed then cut off, a distinguished name extended. */
function withoutGroups(input: AnalyzerInput): Finding[] {
  const text = input.text;
  const cut = text.indexOf("\0") > 0 ? CLOSED_THEN_CUT.exec(text) : null;
  if (cut) return [find("closed-then-cut", 0.85, 0, cut[0].length)];
  if (text.indexOf("=") > 0 && DN_COMPONENTS.test(text) && !readingOfDn(input)) {
    // The evidence: the components after the name (from its `,`, or the `\` that escapes it).
    const comma = text.indexOf(",");
    return [find("dn-injection", ACCOUNT_FIELD.test(input.name) ? 0.85 : 0.5, text[comma - 1] === "\\" ? comma - 1 : comma, text.length)];
  }
  return metacharacterProbe(text);
}

/**
 * A filter written whole, its parentheses balanced from the first to the last (`(&(objectClass=user)(memberOf=cn=Staff,...))`):
 * what a directory's settings form holds, not a value that breaks out of the filter it lands in. It
 * still reads secrets when it tests a secret's attribute (`(&(uid=*)(userPassword=*))`, an API that
 * takes a filter asked for every password).
 */
function wholeFilter(text: string): boolean {
  const t = text.trim();
  if (t.length < 3 || t[0] !== "(" || t[t.length - 1] !== ")") return false;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === "(") depth++;
    else if (t[i] === ")" && --depth === 0 && i !== t.length - 1) return false;
  }
  return depth === 0;
}
const SECRET_ASSERTION = new RegExp(String.raw`\(\s*(?:${SECRET_ATTRIBUTES.join("|")})\s*[~<>]?=`, "i");
/** What a whole filter without a secret's attribute counts for. */
const WHOLE_FILTER = 0.5;

export const ldapAnalyzer: Analyzer = {
  name: "ldap",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string") return [];
    if (!LDAP_HINT.test(text)) return withoutGroups(input);
    const found = groupFindings(input);
    if (!found.length || !wholeFilter(text) || SECRET_ASSERTION.test(text)) return found;
    return found.map((f) => ({ ...f, strength: Math.min(f.strength, WHOLE_FILTER) }));
  },
};

/** The findings of a value with groups: a breakout, a wildcard that closes one, a filter of its own. */
function groupFindings(input: AnalyzerInput): Finding[] {
  const text = input.text;
  const out: Finding[] = [];
  // `)(`: the value closes a group and opens the next (spaces are legal between filter components);
  // `)&(`, `)|(`, `)!(`: it closes one and wraps the rest of the filter in an operator.
  for (let i = text.indexOf(")"); i >= 0 && out.length < 4; i = text.indexOf(")", i + 1)) {
    let j = i + 1;
    while (text[j] === ")" || isBlank(text[j])) j++;
    if (text[j] === "&" || text[j] === "|" || text[j] === "!") {
      const open = pastBlanks(text, j + 1);
      if (text[open] === "(") j = open;
    }
    const group = text[j] === "(" ? groupAt(text, pastBlanks(text, j + 1)) : null;
    if (group) out.push(find("filter-breakout", BREAKOUT_STRENGTH[group.kind], i, group.end));
    i = j - 1; // the run of `)` and spaces is read once
  }
  if (out.length) return out;
  // A wildcard that closes the group (`*)`, `admin*)`, `*))` then a NUL that cuts the rest of the filter off).
  const wildcard = unopenedWildcardClose(text);
  if (wildcard) return [find("wildcard-close", text.includes("\0") ? 0.85 : 0.7, wildcard[0], wildcard[1])];
  // A filter of its own: an operator group holding an assertion, `(|(mail=*))`, `(&(objectClass=*)`.
  for (let i = text.indexOf("("); i >= 0; i = text.indexOf("(", i + 1)) {
    const c = text[i + 1];
    if ((c !== "&" && c !== "|") || text[i + 2] !== "(") continue;
    const group = groupAt(text, i + 3);
    if (group && group.kind !== "attribute") return [find("filter", 0.8, i, group.end)];
  }
  return withoutGroups(input);
}

function metacharacterProbe(text: string): Finding[] {
  if (text.length > 16 || !METACHARACTER_PROBE.test(text)) return [];
  const all = text.includes("*") && text.includes("(") && text.includes(")") && /[|&]/.test(text);
  return all ? [find("metacharacter-probe", 0.5, 0, text.length)] : [];
}
