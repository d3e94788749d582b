/**
 * XML external entities and their relatives: what makes an XML parser on the server read a file,
 * fetch a URL or expand text without bound. Each is a declaration or element an honest document sent
 * by a browser or an API client has no use for:
 * - an ENTITY with SYSTEM or PUBLIC (an external entity) or a parameter entity (`<!ENTITY % x ...>`,
 *   the building block of out-of-band exfiltration);
 * - internal entities whose values reference each other (the "billion laughs" expansion bomb), or one
 *   entity referenced very many times;
 * - a DOCTYPE whose DTD is fetched from elsewhere (SYSTEM, or PUBLIC with a URL that is not a
 *   standard DTD's);
 * - XInclude elements, and XSLT that reads documents (`document()`, `xsl:include`, `unparsed-text()`).
 * An internal entity alone is only a probe (Illustrator's SVG files declare some): weak.
 *
 * One linear pass over `<!` declarations, with a character check first; the DOCTYPE leaf the decompose
 * stage makes and an XML payload in a plain parameter value are read alike.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, strongestPerRule } from "./text.ts";
import { declaresUtf7, decodeUtf7 } from "../../parse/utf7.ts";

/** Entity references in entity values past which the declarations are an expansion bomb, not a convenience. */
const NESTED_REFERENCES = 4;
/** References to internal entities in the text past which one long entity is being multiplied. */
const MANY_REFERENCES = 64;

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("xxe", `xml.${rule}`, strength, start, end);

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** End of an XML name (or anything a sloppy payload uses as one) starting at i. */
function nameEnd(text: string, i: number): number {
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c.charCodeAt(0)) || c === ">" || c === "<" || c === '"' || c === "'" || c === "[" || c === "%" || c === "&" || c === ";") break;
    i++;
  }
  return i;
}

function wordAt(text: string, i: number, word: string): boolean {
  return text.length - i >= word.length && text.slice(i, i + word.length).toUpperCase() === word;
}

/**
 * Reads quoted literals: [contentStart, contentEnd, after], or null when there is none at i or it never
 * closes. Remembers where a quote was last missing, so that many unclosed literals cost one search.
 */
function literalReader(text: string): (i: number) => [number, number, number] | null {
  const missingFrom: Record<string, number> = { '"': Infinity, "'": Infinity };
  return (i) => {
    const q = text[i];
    if (q !== '"' && q !== "'") return null;
    if (i + 1 >= missingFrom[q]!) return null;
    const close = text.indexOf(q, i + 1);
    if (close < 0) missingFrom[q] = i + 1;
    return close < 0 ? null : [i + 1, close, close + 1];
  };
}

/**
 * Where standard public DTDs live: the standards bodies and the frameworks whose configuration files
 * name one (XHTML and SVG, Apple plists, DocBook, Java EE, Struts, Hibernate, Spring, MyBatis).
 */
const DTD_HOSTS = ["w3.org", "apple.com", "oasis-open.org", "docbook.org", "sun.com", "oracle.com", "jcp.org", "apache.org", "hibernate.org", "springframework.org", "mybatis.org", "jboss.org", "freedesktop.org", "netbeans.org", "eclipse.org"];

/**
 * A standard public DTD (`-//W3C//DTD XHTML 1.0//EN`) at its owner's http(s) address. The public
 * identifier is the sender's words: one that names a standard and points elsewhere is an external DTD.
 */
function isStandardPublicDtd(publicId: string, systemId: string): boolean {
  if (!publicId.startsWith("-//")) return false;
  const host = /^https?:\/\/([A-Za-z0-9.-]+?)\.?(?::\d*)?(?:[/?#]|$)/i.exec(systemId)?.[1]?.toLowerCase();
  return host !== undefined && DTD_HOSTS.some((d) => host === d || host.endsWith(`.${d}`));
}

/** Counts `&name;`/`%name;` references in [start, end). */
function countReferences(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text[i];
    if (c !== "&" && c !== "%") continue;
    const e = nameEnd(text, i + 1);
    if (e > i + 1 && e < end && text[e] === ";" && text[i + 1] !== "#") n++;
  }
  return n;
}

interface DeclarationScan {
  literalAt: ReturnType<typeof literalReader>;
  findings: Finding[];
  /** Names of internal general entities, to count their uses. */
  internal: Set<string>;
  /** Entity references inside internal entity values. */
  nestedReferences: number;
  firstInternal: number;
}

/** `<!ENTITY` at `at` (text after the keyword at i): adds what it is; returns where scanning goes on. */
function readEntity(text: string, at: number, i: number, scan: DeclarationScan): number {
  i = skipSpaces(text, i);
  const parameter = text[i] === "%";
  if (parameter) i = skipSpaces(text, i + 1);
  const nameStop = nameEnd(text, i);
  const name = text.slice(i, nameStop);
  i = skipSpaces(text, nameStop);
  if (wordAt(text, i, "SYSTEM") || wordAt(text, i, "PUBLIC")) {
    const lit = scan.literalAt(skipSpaces(text, i + 6));
    const end = lit ? lit[2] : i + 6;
    scan.findings.push(find(parameter ? "parameter-entity" : "external-entity", 0.95, at, end));
    return end;
  }
  const lit = scan.literalAt(i);
  if (!lit) {
    if (parameter) scan.findings.push(find("parameter-entity", 0.9, at, i));
    return i;
  }
  if (parameter) {
    // A parameter entity's value is DTD text: that is how a nested external declaration is smuggled in.
    scan.findings.push(find("parameter-entity", 0.9, at, lit[2]));
  } else if (name) {
    scan.internal.add(name);
    if (scan.firstInternal < 0) scan.firstInternal = at;
  }
  scan.nestedReferences += countReferences(text, lit[0], lit[1]);
  return lit[2];
}

/**
 * A "DTD" that is a file of the server's own and no DTD (`file:///etc/passwd`, `/etc/hostname`,
 * `php://filter/...`, `C:\\windows\\win.ini`): the parser fails on it and its error shows the file.
 * A real DTD on the local disk (DocBook's `/usr/share/xml/.../docbookx.dtd`) is an external DTD like
 * any other.
 */
const LOCAL_DTD = /^\s*(?:(?:file|jar|netdoc|php|expect|gopher|phar):|\/|[A-Za-z]:[\\/]|\\\\)/i;
const DTD_FILE = /\.(?:dtd|ent|mod)\s*$/i;

/**
 * A public identifier's owner (`-//Checkstyle//DTD ...`) that names the host serving the DTD
 * (`https://checkstyle.org/dtds/...`): a vendor's own DTD, a little less suspect than one at a host no
 * owner names (`-//X//Y` at `evil.example`), which is an external DTD like SYSTEM's.
 */
function ownerServesDtd(publicId: string, systemId: string): boolean {
  const owner = /^[-+]\/\/([^/]{1,80})\/\//.exec(publicId.trim())?.[1];
  const host = /^\s*[a-z][a-z0-9+.-]{0,16}:\/\/(?:[^/@\s]{0,80}@)?([^/:?#\s]{1,253})/i.exec(systemId)?.[1];
  if (!owner || !host) return false;
  const labels = host.toLowerCase().split(".").slice(0, OWNER_READ);
  const words = owner.toLowerCase().split(/[^a-z0-9]+/).slice(0, OWNER_READ);
  return words.some((word) => word.length >= 3 && !GENERIC_LABELS.has(word) && labels.some((label) => label.startsWith(word)));
}
/** Words of an owner and labels of a host compared: enough for any real name, and bounded however long the ids. */
const OWNER_READ = 8;
/** Labels every host may have: an owner named so names no host. */
const GENERIC_LABELS = new Set(["www", "com", "org", "net", "dtd", "xml", "http", "https"]);

/** A system id with no scheme and host: a DTD beside the document (`"office.dtd"`), which the parser reads from disk. */
const RELATIVE_SYSTEM_ID = /^\s*[\w.-]+\s*$/;

/**
 * `<!DOCTYPE` at `at`: an external DTD is a finding unless it is a standard public one; a local file
 * that is no DTD is the strongest.
 */
function readDoctype(text: string, at: number, i: number, scan: DeclarationScan): number {
  i = skipSpaces(text, nameEnd(text, skipSpaces(text, i)));
  const isSystem = wordAt(text, i, "SYSTEM");
  if (!isSystem && !wordAt(text, i, "PUBLIC")) return i;
  const first = scan.literalAt(skipSpaces(text, i + 6));
  if (!first) return i + 6;
  const second = isSystem ? null : scan.literalAt(skipSpaces(text, first[2]));
  const systemId = isSystem ? text.slice(first[0], first[1]) : second ? text.slice(second[0], second[1]) : "";
  const end = second ? second[2] : first[2];
  if (!isSystem && (!second || isStandardPublicDtd(text.slice(first[0], first[1]), systemId))) return end;
  const publicId = isSystem ? "" : text.slice(first[0], first[1]);
  const vendor = !isSystem && (ownerServesDtd(publicId, systemId) || RELATIVE_SYSTEM_ID.test(systemId));
  const strength = LOCAL_DTD.test(systemId) && !DTD_FILE.test(systemId) ? 0.95 : vendor ? 0.8 : 0.85;
  scan.findings.push(find("external-dtd", strength, at, end));
  return end;
}

function scanDeclarations(text: string): DeclarationScan {
  const scan: DeclarationScan = { literalAt: literalReader(text), findings: [], internal: new Set(), nestedReferences: 0, firstInternal: -1 };
  for (let at = text.indexOf("<!"); at >= 0; ) {
    let next = at + 2;
    if (wordAt(text, at + 2, "ENTITY")) next = readEntity(text, at, at + 8, scan);
    else if (wordAt(text, at + 2, "DOCTYPE")) next = readDoctype(text, at, at + 9, scan);
    at = text.indexOf("<!", next);
  }
  return scan;
}

/** Uses of the declared internal entities anywhere in the text. */
function countUses(text: string, names: Set<string>): number {
  let n = 0;
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    const e = nameEnd(text, i + 1);
    if (text[e] === ";" && names.has(text.slice(i + 1, e))) n++;
  }
  return n;
}

function entityFindings(text: string, findings: Finding[]): void {
  const scan = scanDeclarations(text);
  findings.push(...scan.findings);
  if (scan.firstInternal < 0) return;
  const span = [scan.firstInternal, text.length] as const;
  if (scan.nestedReferences >= NESTED_REFERENCES || countUses(text, scan.internal) >= MANY_REFERENCES) {
    findings.push(find("entity-expansion", 0.95, ...span));
  } else if (!scan.findings.length) {
    findings.push(find("internal-entity", 0.5, scan.firstInternal, scan.firstInternal + 8));
  }
}

const XINCLUDE_NAMESPACE = "2001/XInclude";
const XSLT_NAMESPACE = "1999/XSL/Transform";
/** XSLT that reads other documents or calls out of the stylesheet. */
const XSLT_READS = /document\s*\(|unparsed-text\s*\(|<xsl:(?:include|import)\b|php:function|system-property\s*\(/gi;

/** `<prefix:include` elements: XInclude when the namespace is declared, or when the prefix is the usual `xi`. */
function xincludeFindings(text: string, findings: Finding[]): void {
  const declared = text.includes(XINCLUDE_NAMESPACE);
  for (let i = text.indexOf(":include"); i >= 0; i = text.indexOf(":include", i + 8)) {
    let p = i;
    while (p > 0 && /[\w.-]/.test(text[p - 1]!)) p--;
    if (p === 0 || text[p - 1] !== "<" || p === i) continue;
    const prefix = text.slice(p, i);
    if (prefix === "xsl") continue;
    if (declared) findings.push(find("xinclude", 0.9, p - 1, i + 8));
    else if (prefix.toLowerCase() === "xi") findings.push(find("xinclude", 0.75, p - 1, i + 8));
  }
}

/**
 * Namespaces that bind a programming language's runtime into a stylesheet: PHP's `php:function`,
 * Xalan's and Saxon's Java classes, MSXSL's inline scripts. Declaring one is how XSLT injection runs code.
 */
const XSLT_RUNTIME_NAMESPACE = /xmlns:[\w.-]+\s*=\s*["']?(?:https?:\/\/php\.net\/xsl|https?:\/\/xml\.apache\.org\/xalan\/java|https?:\/\/xml\.apache\.org\/xslt\/java|xalan:\/\/|java:|https?:\/\/saxon\.sf\.net\/java-type|urn:schemas-microsoft-com:xslt)/i;

/** `document('file:///etc/passwd')`, `unparsed-text('/etc/passwd')`: the document read is a file of the server's, not another stylesheet. */
const LOCAL_FILE_ARGUMENT = /^\s*["']\s*(?:file:|\/|\\|[a-z]:[\\/])/i;

function xsltFindings(text: string, findings: Finding[]): void {
  if (!text.includes(XSLT_NAMESPACE) && !text.includes("<xsl:")) return;
  // The first read, or the first of a server's files (`document('file:///etc/passwd')`) after another stylesheet's.
  let read: Finding | null = null;
  for (const m of text.matchAll(XSLT_READS)) {
    const end = m.index + m[0].length;
    const local = m[0].endsWith("(") && LOCAL_FILE_ARGUMENT.test(text.slice(end, end + 16));
    if (!read || local) read = find("xslt-read", local ? 0.9 : 0.8, m.index, end);
    if (local) break;
  }
  if (read) findings.push(read);
  const runtime = XSLT_RUNTIME_NAMESPACE.exec(text);
  if (runtime) findings.push(find("xslt-runtime", 0.85, runtime.index, runtime.index + runtime[0].length));
}

/**
 * CDATA sections that cut markup in pieces (`<![CDATA[<]]>script<![CDATA[>]]>`,
 * `javas]]><![CDATA[cript:`): an XML-to-HTML step joins them back into a tag that filters never saw.
 * Honest CDATA wraps a whole block of text; one that holds only a tag delimiter, or that ends inside a
 * word the next one goes on with, is there to hide what the pieces spell.
 */
const CDATA_DELIMITER_ONLY = /<!\[CDATA\[\s*(?:<\/?|>)\s*\]\]>/;
/** A section ending inside a word the next one goes on with (`]]]]><![CDATA[>`, the standard escape of `]]>`, has no letters). */
const CDATA_WORD_SPLIT = /[A-Za-z]\]\]><!\[CDATA\[[A-Za-z]/;

function cdataFindings(text: string, findings: Finding[]): void {
  const m = CDATA_DELIMITER_ONLY.exec(text) ?? CDATA_WORD_SPLIT.exec(text);
  if (m) findings.push(finding("xss", "xml.cdata-split-markup", 0.8, m.index, m.index + m[0].length));
}

/**
 * CDATA that wraps a script element: an XML-to-HTML step copies it out as markup, and filters that
 * skip CDATA never read it. Outside a body, where no honest value carries CDATA at all, moderate; in
 * an XML body (a CMS posting a page) weak.
 */
const CDATA_SCRIPT = /<!\[CDATA\[\s*<script\b/i;

/**
 * Internet Explorer's ways of running markup from XML: a `<?import implementation="...">` instruction
 * that loads an element behavior (an HTC file of script), and data binding that renders an XML data
 * island's text as HTML (`DATASRC=#island ... DATAFORMATAS=HTML`). No honest request carries either.
 */
const IE_XML_CODE = /<\?import\b[^>]{0,256}\bimplementation\s*=|\bdataformatas\s*=\s*["']?html\b/i;

function legacyScriptFindings(text: string, inBody: boolean, findings: Finding[]): void {
  const cdata = text.includes("<![CDATA[") ? CDATA_SCRIPT.exec(text) : null;
  if (cdata) findings.push(finding("xss", "xml.cdata-script", inBody ? 0.45 : 0.7, cdata.index, cdata.index + cdata[0].length));
  const ie = IE_XML_CODE.exec(text);
  if (ie) findings.push(finding("xss", "xml.ie-markup-binding", 0.8, ie.index, ie.index + ie[0].length));
}

/** What makes the parser fetch, read or expand: the findings a document's declarations and includes give. */
function parserFindings(text: string, findings: Finding[]): void {
  if (text.includes("<!")) entityFindings(text, findings);
  if (text.includes(":include")) xincludeFindings(text, findings);
  if (text.includes("xsl")) xsltFindings(text, findings);
}

export const xmlAnalyzer: Analyzer = {
  name: "xml",
  analyze(input: AnalyzerInput): Finding[] {
    const text = input.text;
    if (typeof text !== "string" || text.indexOf("<") < 0) return [];
    const findings: Finding[] = [];
    // A document that declares UTF-7 (`+ADwAIQ-DOCTYPE`) is read as its parser reads it: the strongest
    // finding of each rule, the whole value its evidence.
    if (declaresUtf7(text)) {
      const decoded: Finding[] = [];
      parserFindings(decodeUtf7(text), decoded);
      for (const f of strongestPerRule(decoded)) findings.push({ ...f, start: 0, end: text.length });
    }
    parserFindings(text, findings);
    if (text.includes("<![CDATA[")) cdataFindings(text, findings);
    legacyScriptFindings(text, input.location === "body", findings);
    return findings;
  },
};
