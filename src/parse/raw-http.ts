/**
 * Raw HTTP requests: a request line, headers, a blank line and an optional body. Files may hold one
 * request or many back to back (as CSIC 2010 does); `frameRawHttp` cuts a line stream into one block
 * per request and `rawHttpParser` turns a block into an HttpRequest.
 */
import type { SourceLine } from "../core/source-line.ts";
import { assembleRequest } from "./assemble.ts";
import { dechunk } from "./chunked.ts";
import { parseError, type ExplainedField, type Parser } from "./parser.ts";
import type { RequestOrigin } from "../core/http-request.ts";

export const REQUEST_LINE = /^[A-Za-z][A-Za-z0-9_-]* \S+ HTTP\/\d(?:\.\d)?$/;

interface Block {
  first: SourceLine;
  lines: string[];
  tooLong?: number;
  /** Body bytes still expected (from Content-Length), or null while in headers / when unknown. */
  bodyLeft: number | null;
  inBody: boolean;
  /** Where the body's lines start (after the blank line), once the head has ended. */
  bodyAt?: number;
}

function contentLength(headerLine: string): number | null {
  const m = /^content-length:\s*(\d+)\s*$/i.exec(headerLine);
  return m ? Number(m[1]) : null;
}

/**
 * The block's text. A file's reader gave its lines without their line breaks: the head's are LF, which
 * the parser reads either way, and the body's CRLF, what HTTP's own text (a multipart body, a form
 * typed over several lines) has on the wire.
 */
function finish(block: Block): SourceLine {
  while (block.lines.length > 1 && block.lines[block.lines.length - 1] === "") block.lines.pop();
  const bodyAt = block.bodyAt ?? block.lines.length;
  const head = block.lines.slice(0, bodyAt).join("\n");
  const text = bodyAt < block.lines.length ? `${head}\n${block.lines.slice(bodyAt).join("\r\n")}` : head;
  const out: SourceLine = { text, source: block.first.source, line: block.first.line, offset: block.first.offset };
  if (block.tooLong !== undefined) out.tooLong = block.tooLong;
  return out;
}

/** Groups lines into request blocks. Stray lines outside a request become their own (rejected) block. */
export async function* frameRawHttp(batches: AsyncIterable<SourceLine[]>): AsyncGenerator<SourceLine[]> {
  let block: Block | null = null;
  let declaredLength: number | null = null;
  for await (const batch of batches) {
    const out: SourceLine[] = [];
    for (const line of batch) {
      const text = line.text;
      if (block && block.inBody) {
        const startsNext = REQUEST_LINE.test(text) && block.bodyLeft === null;
        if (startsNext || (block.bodyLeft !== null && block.bodyLeft <= 0)) {
          out.push(finish(block));
          block = null;
        } else {
          block.lines.push(text);
          if (block.bodyLeft !== null) block.bodyLeft -= Buffer.byteLength(text) + 2;
          continue;
        }
      }
      if (!block) {
        if (text === "") continue;
        block = { first: line, lines: [text], bodyLeft: null, inBody: false };
        declaredLength = null;
        if (line.tooLong !== undefined) block.tooLong = line.tooLong;
        continue;
      }
      if (line.tooLong !== undefined) block.tooLong = line.tooLong;
      block.lines.push(text);
      if (text === "") {
        block.inBody = true;
        block.bodyAt = block.lines.length;
        block.bodyLeft = declaredLength;
      } else {
        declaredLength = contentLength(text) ?? declaredLength;
      }
    }
    if (out.length) yield out;
  }
  if (block) yield [finish(block)];
}

/** The last transfer coding is `chunked`: the body is framed in chunks, joined before it is read. */
function isChunked(headers: [string, string][]): boolean {
  return headers.some(([name, value]) => name === "transfer-encoding" && /(?:^|,)\s*chunked\s*$/i.test(value));
}

/** The text after its first `count` lines, as it came. */
function textAfterLines(text: string, count: number): string {
  let at = 0;
  for (let k = 0; k < count; k++) {
    const lf = text.indexOf("\n", at);
    if (lf === -1) return "";
    at = lf + 1;
  }
  return text.slice(at);
}

function splitBlock(text: string) {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const requestLine = lines[0] ?? "";
  const headers: [string, string][] = [];
  const fields: ExplainedField[] = [{ name: "request line", raw: requestLine, value: requestLine }];
  let i = 1;
  for (; i < lines.length && lines[i] !== ""; i++) {
    const line = lines[i]!;
    if (/^[ \t]/.test(line) && headers.length) {
      // obs-fold: a continuation of the previous header
      headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) return { error: { line: i, text: line } };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    fields.push({ name: `header ${name}`, raw: line, value });
  }
  // The body as it came: its bare LFs are the application's bytes (a protobuf's field key, a multipart
  // written on Unix), not line breaks to make CRLF.
  const sent = textAfterLines(text, i + 1);
  // Chunk sizes count the data's line breaks as the client sent them, which a file's reader lost (its
  // blocks give a body CRLF lines, finish) and a hand-typed request may write either way: each is tried.
  const joined = (eol: string) => dechunk(lines.slice(i + 1).join(eol));
  const body = sent && isChunked(headers) ? (dechunk(sent) ?? joined("\r\n") ?? joined("\n") ?? sent) : sent;
  if (body) fields.push({ name: "body", raw: body, value: body });
  return { requestLine, headers, body, fields };
}

function build(text: string, origin: RequestOrigin) {
  const parts = splitBlock(text);
  if ("error" in parts) {
    const e = parts.error!;
    return { fields: [], result: parseError("raw-http", text, origin, `line ${e.line + 1} of the request is not a header: ${JSON.stringify(e.text.slice(0, 80))}`) };
  }
  if (!REQUEST_LINE.test(parts.requestLine)) {
    return { fields: [], result: parseError("raw-http", text, origin, `not an HTTP request line (expected "METHOD target HTTP/x.y"): ${JSON.stringify(parts.requestLine.slice(0, 80))}`, { column: 0, expected: "METHOD target HTTP/x.y" }) };
  }
  const vars: Record<string, string> = { request: parts.requestLine };
  if (parts.body) vars.request_body = parts.body;
  return { fields: parts.fields, result: assembleRequest({ vars, origin, headers: parts.headers }) };
}

export const rawHttpParser: Parser = {
  name: "raw-http",
  framing: "raw-http",
  parse: (text, origin) => build(text, origin).result,
  explain: build,
};
