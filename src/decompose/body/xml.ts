/**
 * XML bodies (SOAP included): element text and attribute values as leaves `body.xml.<el>.<el>` and
 * `body.xml.<el>@<attr>`, element and attribute names that are not plain words as key leaves, the
 * DOCTYPE with its internal subset as one kind "xml-doctype" leaf, and each processing instruction as a
 * kind "xml-pi" leaf. The DOCTYPE is cut out before fast-xml-parser sees the document, and entities are
 * not resolved: `&xxe;` stays as written, so nothing outside the document is ever fetched here. A value
 * that names internal entities the DOCTYPE declares (`<!ENTITY a "' UNI">`) is also read with them
 * replaced, as the application's parser hands it over (internalEntities, expandEntities), within one
 * budget a document.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { LeafSink } from "../sink.ts";
import { declaresUtf7, decodeUtf7 } from "../../parse/utf7.ts";

const BASE = "body.xml";
const COMMENT = "#comment";

/** `<!DOCTYPE ...>` with its `[...]` internal subset: [start, end) or null. Quotes and brackets are honoured. */
export function findDoctype(xml: string): [number, number] | null {
  let start = xml.indexOf("<!DOCTYPE");
  if (start === -1) start = xml.indexOf("<!doctype");
  if (start === -1) return null;
  let bracket = 0;
  let quote = 0;
  for (let i = start + 9; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x5b) bracket++;
    else if (c === 0x5d) bracket--;
    else if (c === 0x3e && bracket <= 0) return [start, i + 1];
  }
  return [start, xml.length];
}

/** Processing instructions other than the `<?xml ...?>` declaration, each `<?target ...?>` whole. */
export function processingInstructions(xml: string): { target: string; text: string }[] {
  const out: { target: string; text: string }[] = [];
  for (let i = xml.indexOf("<?"); i !== -1; i = xml.indexOf("<?", i + 2)) {
    const end = xml.indexOf("?>", i + 2);
    const text = xml.slice(i, end === -1 ? xml.length : end + 2);
    const target = /^<\?([^\s?]*)/.exec(text)![1]!;
    if (target !== "xml") out.push({ target, text });
    if (end === -1) break;
    i = end;
  }
  return out;
}

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

function parser(maxDepth: number): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // Text is trimmed once joined (walk): trimming each node lost the blanks between CDATA sections.
    trimValues: false,
    // Kept as nodes so that the text on either side of a comment stays two nodes (walk), as a DOM has them.
    commentPropName: COMMENT,
    maxNestedTags: maxDepth,
  });
}

const parsers = new Map<number, XMLParser>();

/**
 * Adds the document's leaves. "unparsed" when fast-xml-parser rejects it (the caller judges the body as
 * text then; the DOCTYPE and instructions found before are kept), "too-deep" past the nesting limit.
 * "lenient" when the parser read a document that is not well-formed: it reads such markup by dropping
 * what it cannot place (an unquoted attribute, text after the root element), so `<img src=x
 * onerror=...>` gave an element and nothing to judge. The caller judges the body as text too then.
 */
export function addXmlLeaves(sink: LeafSink, sent: string): "ok" | "lenient" | "unparsed" | "too-deep" {
  // A document that declares UTF-7 is read as its parser reads it: its markup may exist only so.
  const xml = declaresUtf7(sent) ? decodeUtf7(sent) : sent;
  const doctype = findDoctype(xml);
  if (doctype) sink.value("body", `${BASE}.doctype`, "", xml.slice(doctype[0], doctype[1]), "xml-doctype");
  for (const pi of processingInstructions(xml)) sink.value("body", `${BASE}.pi`, pi.target, pi.text, "xml-pi");
  const body = doctype ? xml.slice(0, doctype[0]) + xml.slice(doctype[1]) : xml;
  const expand = entityExpander(doctype ? internalEntities(xml.slice(doctype[0], doctype[1])) : NO_ENTITIES, sink);
  const maxDepth = sink.limits.maxDepth;
  let p = parsers.get(maxDepth);
  if (!p) parsers.set(maxDepth, (p = parser(maxDepth)));
  let nodes: OrderedNode[];
  try {
    nodes = p.parse(body) as OrderedNode[];
  } catch (e) {
    return e instanceof Error && e.message.includes("nested") ? "too-deep" : "unparsed";
  }
  if (!Array.isArray(nodes) || nodes.length === 0) return "unparsed";
  walk(sink, nodes, BASE, expand);
  // Blanks before the declaration are no content the parser dropped; text after the last tag is
  // (`<a/>' UNION ...`: the validator accepts it, the parser drops it).
  return XMLValidator.validate(body.trimStart()) === true && !textAfterLastTag(body) ? "ok" : "lenient";
}

/**
 * An element's text nodes are one value, joined as they were sent and then trimmed (trimText): adjacent CDATA
 * sections, and text around comments and child elements, are one text to an application that reads
 * the element's text (DOM's textContent, JAXB), so a payload split over them (`<![CDATA[1' UNI]]>
 * <![CDATA[ON SELECT ...]]>`) is judged whole. One that reads the first node only (`getFirstChild()`,
 * XPath's `text()`) gets each node alone: with more than one, each is a leaf too. The nesting is
 * bounded by maxNestedTags, so the recursion is too.
 */
function walk(sink: LeafSink, nodes: OrderedNode[], path: string, expand: Expand): boolean {
  const texts: string[] = [];
  for (const node of nodes) {
    for (const tag in node) {
      if (tag === ":@" || tag === COMMENT) continue;
      const child = node[tag];
      if (tag === "#text") {
        texts.push(String(child));
        continue;
      }
      const elPath = `${path}.${tag}`;
      if (!sink.key("body", elPath, tag)) return false;
      const attrs = node[":@"];
      if (attrs) {
        for (const name in attrs) {
          const attrPath = `${elPath}@${name}`;
          if (!sink.key("body", attrPath, name) || !addValue(sink, attrPath, name, String(attrs[name]).trim(), expand)) return false;
        }
      }
      if (Array.isArray(child) && !walk(sink, child as OrderedNode[], elPath, expand)) return false;
    }
  }
  const name = lastName(path);
  const joined = trimText(texts.join(""));
  if (joined !== "" && !addValue(sink, path, name, joined, expand)) return false;
  const pieces = texts.map(trimText).filter((t) => t !== "");
  if (pieces.length > 1) for (const piece of pieces) if (!sink.value("body", path, name, piece)) return false;
  return true;
}

type Entities = ReadonlyMap<string, string>;
const NO_ENTITIES: Entities = new Map();

/**
 * The internal general entities a DOCTYPE declares, by name: `<!ENTITY name "text">` (or '...'). Not
 * the parameter entities (`%`), which only the DTD itself uses, nor the external ones (SYSTEM, PUBLIC),
 * which are never fetched: the xml analyzer judges those in the DOCTYPE's leaf. The first declaration
 * of a name binds, as in XML 1.0.
 */
export function internalEntities(doctype: string): Entities {
  const out = new Map<string, string>();
  for (const m of doctype.matchAll(/<!ENTITY\s+([^\s%"'<>]+)\s+(?:"([^"]*)"|'([^']*)')\s*>/g)) {
    if (!out.has(m[1]!)) out.set(m[1]!, m[2] ?? m[3]!);
  }
  return out;
}

/** Entity references replaced this many times over at most (an entity's text may name others). */
const MAX_ENTITY_DEPTH = 8;
/**
 * Characters the expansions of one document may reach, all its values together: a billion laughs'
 * `&lol9;`, or a thousand elements that each name it, must cost no more.
 */
const MAX_EXPANDED = 1 << 16;

/**
 * The text with the references to declared entities replaced, their own references too, up to
 * MAX_ENTITY_DEPTH levels and `limit` characters (cut there); null when it names none. Character
 * references and undeclared names stay as written: the sink decodes the former.
 */
export function expandEntities(text: string, entities: Entities, limit = MAX_EXPANDED): string | null {
  if (!entities.size || !text.includes("&")) return null;
  let out = text;
  for (let depth = 0; depth < MAX_ENTITY_DEPTH; depth++) {
    let replaced = false;
    let length = 0;
    const next = out.replace(/&([^\s&;#]{1,100});/g, (ref, name: string) => {
      const value = length < limit ? entities.get(name) : undefined;
      if (value === undefined) return ref;
      replaced = true;
      length += value.length;
      return value;
    });
    if (!replaced) break;
    out = next.length > limit ? next.slice(0, limit) : next;
  }
  return out === text ? null : out;
}

/** A document's values expanded within one budget of MAX_EXPANDED characters; the one that spends it flags too-deep (the readings not taken). */
type Expand = (text: string) => string | null;

function entityExpander(entities: Entities, sink: LeafSink): Expand {
  let left = MAX_EXPANDED;
  return (text) => {
    const expanded = left > 0 ? expandEntities(text, entities, left) : null;
    if (expanded === null) return null;
    left -= expanded.length;
    if (left <= 0) sink.flag("too-deep");
    return expanded;
  };
}

/** A value as sent and, when it names declared entities, as the application's parser expands it. */
function addValue(sink: LeafSink, path: string, name: string, text: string, expand: Expand): boolean {
  if (!sink.value("body", path, name, text)) return false;
  const expanded = expand(text);
  return expanded === null || sink.value("body", path, name, expanded);
}

/**
 * An element's text without the blanks around it, which pretty-printing puts there (a line break and
 * indentation). A line break right before the text is kept: no indentation follows it, and the
 * application writes it where the value goes (`<id>\r\nLocation: ...</id>` into a header).
 */
function trimText(text: string): string {
  const trimmed = text.trim();
  const lead = LEADING_BREAK.exec(text);
  return lead && trimmed !== "" ? lead[1]! + trimmed : trimmed;
}

const LEADING_BREAK = /^[ \t]*([\r\n]+)(?=[^\s])/;

function textAfterLastTag(xml: string): boolean {
  return xml.slice(xml.lastIndexOf(">") + 1).trim() !== "";
}

function lastName(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}
