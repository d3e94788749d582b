/**
 * Records that did not parse: counted per source, with a bounded sample kept for inspection.
 * They never stop the stream.
 */
import type { ParseError } from "../core/http-request.ts";

export interface RejectionSample {
  source: string;
  line?: number;
  offset?: number;
  format: string;
  reason: string;
  /** The start of the record (cut to keep the sample small). */
  text: string;
}

export interface SourceRejections {
  count: number;
  samples: RejectionSample[];
}

const SAMPLE_TEXT = 500;

export class Rejections {
  readonly bySource = new Map<string, SourceRejections>();

  constructor(readonly samplesPerSource = 20) {}

  add(error: ParseError): void {
    const source = error.origin.source;
    let entry = this.bySource.get(source);
    if (!entry) this.bySource.set(source, (entry = { count: 0, samples: [] }));
    entry.count++;
    if (entry.samples.length < this.samplesPerSource) {
      entry.samples.push({
        source,
        line: error.origin.line,
        offset: error.origin.offset,
        format: error.format,
        reason: error.reason,
        text: error.text.slice(0, SAMPLE_TEXT),
      });
    }
  }

  get total(): number {
    let n = 0;
    for (const e of this.bySource.values()) n += e.count;
    return n;
  }
}
