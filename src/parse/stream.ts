/**
 * The parse stage of the pipeline: batches of source lines in, batches of requests out.
 * Raw HTTP is framed into blocks first; over-long records and unparsable ones go to Rejections.
 */
import { isParseError, type HttpRequest } from "../core/http-request.ts";
import type { SourceLine } from "../core/source-line.ts";
import { frameRawHttp } from "./raw-http.ts";
import { parseError, type Parser } from "./parser.ts";
import type { Rejections } from "./rejections.ts";

export function parseLine(parser: Parser, line: SourceLine) {
  const origin = { source: line.source, line: line.line, offset: line.offset };
  if (line.tooLong !== undefined) return parseError(parser.name, line.text, origin, `record is ${line.tooLong} bytes, over the line-size limit; only its start is kept`);
  return parser.parse(line.text, origin);
}

export async function* parseBatches(batches: AsyncIterable<SourceLine[]>, parser: Parser, rejections: Rejections): AsyncGenerator<HttpRequest[]> {
  const records = parser.framing === "raw-http" ? frameRawHttp(batches) : batches;
  for await (const batch of records) {
    const out: HttpRequest[] = [];
    for (const line of batch) {
      const r = parseLine(parser, line);
      if (isParseError(r)) rejections.add(r);
      else out.push(r);
    }
    yield out;
  }
}
