/**
 * The body, read by what its Content-Type claims and, when that is missing or wrong, by what it looks
 * like: urlencoded, multipart, JSON (GraphQL-over-HTTP and JSON lines included), XML, GraphQL, protobuf (gRPC and
 * gRPC-Web included, by Content-Type only), or text judged whole.
 * Gzip/deflate bodies are inflated first; a body in UTF-16, UTF-32 or EBCDIC is also read decoded. A body that does not have the structure it claims gives what
 * can be read and the flag "body-unparsed"; a body over the limit is looked at up to the limit and
 * flagged "body-oversize".
 */
import { headerValue, type HttpRequest, type Param } from "../../core/http-request.ts";
import { parseParams } from "../../parse/decode.ts";
import type { Encoding } from "../leaf.ts";
import type { LeafSink } from "../sink.ts";
import { decodeBodyCharset } from "./charset.ts";
import { compressionsOf, inflateBody, isGzip } from "./gzip.ts";
import { addGraphqlLeaves, looksLikeGraphql } from "./graphql.ts";
import { addJsonLeaves, looksLikeJsonContainer, parseJsonDocument, parseJsonLines, repeatsKeys } from "./json.ts";
import { addMultipartLeaves, boundaryOf, sniffBoundary } from "./multipart.ts";
import { addProtobufLeaves, protobufFraming } from "./protobuf.ts";
import { addXmlLeaves } from "./xml.ts";

export type BodyFormat = "urlencoded" | "multipart" | "json" | "xml" | "graphql" | "protobuf" | "text";

/** A Content-Type's media type, lower-cased, without its parameters. */
function mediaOf(contentType: string): string {
  return contentType.split(";", 1)[0]!.trim().toLowerCase();
}

/** The format a Content-Type claims; "text" for none, text/plain and anything unknown (then the body is sniffed). */
export function claimedFormat(contentType: string): BodyFormat {
  const media = mediaOf(contentType);
  if (media === "application/x-www-form-urlencoded") return "urlencoded";
  if (media.startsWith("multipart/")) return "multipart";
  if (media === "application/graphql") return "graphql";
  if (media.endsWith("/json") || media.endsWith("+json") || media === "application/x-json") return "json";
  if (media.endsWith("/xml") || media.endsWith("+xml")) return "xml";
  if (protobufFraming(media)) return "protobuf";
  return "text";
}

/**
 * A form body: it opens with `name=`, a name of the characters form field names are made of (so line
 * protocols such as `measurement,tag=v` and prose stay text). The values may hold raw spaces and line
 * breaks (hand-made clients and attack tools send them unencoded, and a form parser reads them all the
 * same). Not a bare base64 blob: `SGVsbG8=` would be a name with no value, a leaf for nothing.
 */
const URLENCODED = /^[\w.%+:$@*!~[\]-]{1,512}=(?!=*$)/;

/** What the body looks like, for a body whose Content-Type says nothing (or something wrong). */
export function sniffFormat(body: string): BodyFormat {
  let i = 0;
  while (i < body.length && body.charCodeAt(i) <= 0x20) i++;
  const c = body.charCodeAt(i);
  if ((c === 0x7b || c === 0x5b) && looksLikeJsonContainer(body)) return "json";
  if (c === 0x3c) return "xml";
  if (c === 0x2d && sniffBoundary(body) !== null) return "multipart";
  if (looksLikeGraphql(body)) return "graphql";
  if (URLENCODED.test(body)) return "urlencoded";
  return "text";
}

interface Body {
  req: HttpRequest;
  text: string;
  /** The body was inflated (its urlencoded params are not in req.params then). */
  inflated: boolean;
  contentType: string;
  encodings: Encoding[];
}

/** The body as one text leaf: what a structure's reading did not hold, or the body of none. */
function addBodyAsSent(sink: LeafSink, body: Body): boolean {
  return sink.value("body", "body", "", body.text, "text", body.encodings);
}

/** The body's form parameters, as the request's source parsed them (or from the inflated text). */
function formParams(body: Body): Param[] {
  const params = body.inflated ? [] : body.req.params.filter((p) => p.location === "body");
  return params.length ? params : parseParams(body.text, "body");
}

function addFormParams(sink: LeafSink, params: Param[], encodings: Encoding[]): boolean {
  for (const p of params) {
    const path = `body.${p.name}`;
    if (!sink.key("body", path, p.name, encodings) || !sink.value("body", path, p.name, p.value, "value", encodings)) break;
  }
  return params.length > 0;
}

/** A form field's name: what a pair of a form reading of a body in another format must have to count. */
const FORM_NAME = /^[\w.%+:$@*!~[\]-]{1,512}$/;

/** Reads the body as one format; false when it does not have that structure (nothing was added then). */
function addAs(sink: LeafSink, format: BodyFormat, body: Body): boolean {
  const { text, encodings } = body;
  switch (format) {
    case "urlencoded":
      return addFormParams(sink, formParams(body), encodings);
    case "multipart": {
      // The Content-Type's boundary, else (missing, or not the one the body uses) the body's own.
      const claimed = boundaryOf(body.contentType);
      const sniffed = sniffBoundary(text);
      for (const boundary of claimed === sniffed || sniffed === null ? [claimed] : [claimed, sniffed]) {
        if (boundary === null) continue;
        const { parsed, closed } = addMultipartLeaves(sink, text, boundary);
        if (!parsed && !closed) continue; // not the body's boundary
        if (parsed && !closed && !sink.flags.includes("body-oversize")) sink.flag("body-unparsed");
        return parsed;
      }
      return false;
    }
    case "json": {
      if (!looksLikeJsonContainer(text)) return false;
      const parsed = parseJsonDocument(sink, text);
      // One document, or one a line (`body.json[0]`, `body.json[1]`, ...).
      const docs = parsed ? [parsed] : parseJsonLines(sink, text);
      if (docs === undefined) return false;
      docs.forEach((d, i) => addJsonLeaves(sink, d.doc, { location: "body", path: parsed ? "body.json" : `body.json[${i}]`, name: "", encodings, layer: 0 }, { graphql: true }));
      // The values a repeated key hid from the parse are judged in the body as sent (a parameter holding
      // JSON is a leaf of its own already).
      if (docs.some((d) => repeatsKeys(d.strings, d.doc))) addBodyAsSent(sink, body);
      return true;
    }
    case "xml": {
      const result = addXmlLeaves(sink, text);
      if (result === "too-deep") sink.flag("too-deep");
      if (result === "lenient") {
        // Markup that is not well-formed XML (HTML, or a document with more after its root): what the
        // parser dropped is judged in the body as sent. Only a body that claimed XML broke a promise.
        if (claimedFormat(body.contentType) === "xml") sink.flag("body-unparsed");
        addBodyAsSent(sink, body);
      }
      return result === "ok" || result === "lenient";
    }
    case "protobuf": {
      // Read without its schema, a guess: the body as sent is judged too, as it was before.
      const framing = protobufFraming(mediaOf(body.contentType));
      if (!framing || !addProtobufLeaves(sink, text, framing)) return false;
      addBodyAsSent(sink, body);
      return true;
    }
    case "graphql":
      return looksLikeGraphql(text) && addGraphqlLeaves(sink, text, { location: "body", path: "body.graphql", name: "", encodings, layer: 0 });
    case "text":
      return false;
  }
}

/** A compressed body inflates to a megabyte, or four times what was sent: a bomb costs what its sender sent. */
const INFLATE_FLOOR = 1 << 20;
const INFLATE_RATIO = 4;

/** The most body text a request of `sent` characters is read as: inflated or not, within the body limit. */
export function inflateLimit(sent: number, limit: number): number {
  return Math.min(limit, Math.max(INFLATE_FLOOR, INFLATE_RATIO * sent));
}

/**
 * Adds the body's leaves, read inflated and cut at the size limit (flagged); a body in another charset
 * (charset.ts) is read as sent and, decoded, once more (`body~charset`): a server that ignores the
 * charset, or parses past a byte-order mark, reads the bytes as they are, one that honours it the other
 * text.
 */
export function addBodyLeaves(sink: LeafSink, req: HttpRequest): void {
  let text = req.body;
  if (!text) return;
  if (req.bodyBytes !== undefined) sink.flag("body-oversize"); // the source kept only its start
  const encodings: Encoding[] = [];
  let inflated = false;
  const compressions = compressionsOf(headerValue(req, "content-encoding")) ?? (isGzip(text) ? ["gzip" as const] : null);
  if (compressions) {
    // The last coding applied is the first undone; the limit is the first body's.
    const limit = inflateLimit(text.length, sink.limits.maxBodyBytes);
    let inflatedText: string | null = text;
    for (let k = compressions.length - 1; k >= 0 && inflatedText !== null; k--) {
      const result = inflateBody(inflatedText, compressions[k]!, limit);
      inflatedText = result?.text ?? null;
      if (result?.oversize) sink.flag("body-oversize");
    }
    if (inflatedText !== null) {
      text = inflatedText;
      inflated = true;
      encodings.push("gzip");
    } else {
      sink.flag("body-unparsed"); // it said it was compressed and is not: judged as sent
    }
  }
  const contentType = headerValue(req, "content-type") ?? "";
  const claimed = claimedFormat(contentType);
  const decoded = decodeBodyCharset(text, contentType, claimed === "urlencoded", sink.limits.maxBodyBytes);
  if (text.length > sink.limits.maxBodyBytes || decoded?.cut) sink.flag("body-oversize");
  if (text.length > sink.limits.maxBodyBytes) text = text.slice(0, sink.limits.maxBodyBytes);
  if (!addStructure(sink, { req, text, inflated, contentType, encodings }, claimed)) return;
  if (decoded) sink.value("body", "body~charset", "", decoded.text, "value", encodings);
}

/** The body read by its claimed or sniffed format, else as one text; false when the sink took no more. */
function addStructure(sink: LeafSink, body: Body, claimed: BodyFormat): boolean {
  const { text, encodings } = body;
  if (claimed !== "text") {
    // A form body that is JSON, XML or multipart is read as that (clients post JSON under a form
    // Content-Type; a form reading of `<?xml ...>` or of a multipart body would be one nonsense parameter).
    if (claimed === "urlencoded") {
      const sniffed = sniffFormat(text);
      if ((sniffed === "json" || sniffed === "xml" || sniffed === "multipart") && addAs(sink, sniffed, body)) {
        // The application's form parser still splits this body on `&` and `=`: its pairs named as form
        // fields are judged too (`--a\n=1&q=<payload>` read as a multipart of no parts hid `q`).
        // PHP drops a name's leading blanks: `& cmd=|id` is `cmd` to it.
        addFormParams(sink, formParams(body).filter((p) => p.rawValue !== "" && FORM_NAME.test(p.rawName.trimStart())), encodings);
        return true;
      }
    }
    if (addAs(sink, claimed, body)) return true;
  }
  const sniffed = sniffFormat(text);
  if (sniffed !== claimed && addAs(sink, sniffed, body)) {
    if (claimed !== "text" && claimed !== "urlencoded") sink.flag("body-unparsed");
    return true;
  }
  // Claimed a structure it does not have (a body cut at the limit is not expected to parse).
  if (claimed !== "text" && !sink.flags.includes("body-oversize")) sink.flag("body-unparsed");
  return addBodyAsSent(sink, body);
}
