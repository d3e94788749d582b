/**
 * JSON documents (a body, or JSON found inside a parameter) as leaves: string values at any depth as
 * `<base>.a.b[0].c`, and keys that are not plain words (`$where`, `<img ...>`) as key leaves. Numbers,
 * booleans and null are typed values an application cannot read as code, so they are no leaves.
 */
import { JsonDepthError, parseJsonCountingStrings } from "../../core/json.ts";
import type { Encoding, FieldLocation } from "../leaf.ts";
import type { LeafSink } from "../sink.ts";
import { addGraphqlLeaves, looksLikeGraphql } from "./graphql.ts";

export interface JsonBase {
  location: FieldLocation;
  /** The path the document's own paths are appended to: `body.json`, `query.q~json`. */
  path: string;
  /** The name a value inside an array (which has no key of its own) is known by. */
  name: string;
  encodings: Encoding[];
  layer: number;
}

/** `{...}` or `[...]` around the text (whitespace aside): worth a JSON.parse. */
export function looksLikeJsonContainer(text: string): boolean {
  let i = 0;
  let j = text.length - 1;
  while (i < j && text.charCodeAt(i) <= 0x20) i++;
  while (j > i && text.charCodeAt(j) <= 0x20) j--;
  const first = text.charCodeAt(i);
  const last = text.charCodeAt(j);
  return j > i && ((first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d));
}

/**
 * The parsed document, or undefined when the text is not JSON. Nesting past the depth limit is flagged
 * "too-deep" (and the text is then judged as it is).
 */
export function parseJsonLimited(sink: LeafSink, text: string): unknown {
  return parseJsonDocument(sink, text)?.doc;
}

/** `parseJsonLimited`, with the strings the text holds (see repeatsKeys), or undefined when the text is not JSON. */
export function parseJsonDocument(sink: LeafSink, text: string): { doc: unknown; strings: number } | undefined {
  try {
    return parseJsonCountingStrings(text, sink.limits.maxDepth);
  } catch (e) {
    if (e instanceof JsonDepthError) sink.flag("too-deep");
    return undefined;
  }
}

/** Documents read from one body of JSON lines at most: a body of more lines is judged as its text. */
const MAX_JSON_LINES = 1000;

/**
 * JSON lines (NDJSON, JSON Lines, Sentry's envelopes, Elasticsearch's bulk API): every non-blank line
 * one document, `{...}` or `[...]`, two at least. The documents with the strings their text held,
 * or undefined when a line is no such document (the first that fails stops the reading).
 */
export function parseJsonLines(sink: LeafSink, text: string): { doc: unknown; strings: number }[] | undefined {
  if (text.indexOf("\n") === -1) return undefined;
  const docs: { doc: unknown; strings: number }[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === "") continue;
    const parsed = docs.length < MAX_JSON_LINES && looksLikeJsonContainer(line) ? parseJsonDocument(sink, line) : undefined;
    if (parsed === undefined) return undefined;
    docs.push(parsed);
  }
  return docs.length >= 2 ? docs : undefined;
}

/** Strings (keys and values) the parsed document holds; its depth is bounded by the parse's limit. */
function stringsInDocument(value: unknown): number {
  if (typeof value === "string") return 1;
  if (value === null || typeof value !== "object") return 0;
  let count = 0;
  if (Array.isArray(value)) for (const item of value) count += stringsInDocument(item);
  else for (const key in value) count += 1 + stringsInDocument((value as Record<string, unknown>)[key]);
  return count;
}

/**
 * The text names a key twice in one object: `JSON.parse` keeps the last value, and an application
 * whose parser keeps the first (or merges them) reads one Moat never saw. The parse dropped strings
 * then, so the text holds more strings (`textStrings`, counted by parseJsonDocument) than the document.
 */
export function repeatsKeys(textStrings: number, doc: unknown): boolean {
  return textStrings !== stringsInDocument(doc);
}

export interface JsonWalkOptions {
  /** Read a top-level `query` string that parses as GraphQL as a GraphQL document (a GraphQL-over-HTTP body). */
  graphql?: boolean;
}

/** Adds the document's leaves; false when the walk stopped (the values past the leaf limit outgrew what they can hold: sink.ts). */
export function addJsonLeaves(sink: LeafSink, value: unknown, base: JsonBase, options: JsonWalkOptions = {}): boolean {
  return walk(sink, value, base.path, base.name, base, options.graphql ? 0 : -1);
}

/**
 * `graphqlDepth` is the object depth at which a `query` key is a GraphQL document: 0 for the root object,
 * 1 for the objects of a batched (array) body, -1 for none.
 */
function walk(sink: LeafSink, value: unknown, path: string, name: string, base: JsonBase, graphqlDepth: number): boolean {
  if (typeof value === "string") return sink.value(base.location, path, name, value, "value", base.encodings, base.layer);
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!walk(sink, value[i], `${path}[${i}]`, name, base, graphqlDepth === 0 ? 1 : -1)) return false;
    }
    return true;
  }
  const record = value as Record<string, unknown>;
  const pair = pairName(record);
  const wrapped = typedWrapper(record);
  for (const key in record) {
    const child = record[key];
    const childPath = `${path}.${key}`;
    if (!sink.key(base.location, childPath, key, base.encodings, base.layer)) return false;
    if ((graphqlDepth === 0 || graphqlDepth === 1) && key === "query" && typeof child === "string" && looksLikeGraphql(child)) {
      if (addGraphqlLeaves(sink, child, { ...base, path: childPath, name: key })) continue;
    }
    const childName = wrapped ? name : pair !== null && (key === "value" || key === "Value") ? pair : key;
    if (!walk(sink, child, childPath, childName, base, -1)) return false;
  }
  return true;
}

/**
 * A name–value pair, `{"key": "db.statement", "value": ...}` or `{"name": "password", "value": ...}`:
 * how OpenTelemetry's attributes, Kubernetes' environment, AWS's tags, HAR files and form builders
 * list named values. The application reads the value under the pair's name, so its leaves carry that
 * name (the path stays the document's). Null when the object is no such pair.
 */
function pairName(record: Record<string, unknown>): string | null {
  let keys = 0;
  let name: unknown;
  let hasValue = false;
  for (const key in record) {
    if (++keys > 3) return null;
    if (key === "key" || key === "name" || key === "Key" || key === "Name") name = record[key];
    else if (key === "value" || key === "Value") hasValue = true;
  }
  return hasValue && typeof name === "string" && name.length > 0 && name.length <= MAX_PAIR_NAME ? name : null;
}

/** Longer names are text, not a field's name. */
const MAX_PAIR_NAME = 64;

/**
 * Protobuf's JSON wraps a value in an object whose one key says its type (`{"stringValue": "..."}`:
 * OpenTelemetry's AnyValue, Firestore's and Google APIs' Value): the value inside is the field the
 * wrapper stands for, known by that field's name.
 */
function typedWrapper(record: Record<string, unknown>): boolean {
  let only: string | undefined;
  for (const key in record) {
    if (only !== undefined) return false;
    only = key;
  }
  return only !== undefined && TYPED_WRAPPER.test(only);
}

const TYPED_WRAPPER = /^(?:string|int|double|bool|bytes|integer|boolean|timestamp|reference|array|kvlist|map)Value$/;
