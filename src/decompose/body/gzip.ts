/**
 * Compressed bodies (Content-Encoding gzip/deflate, or a gzip stream sent without saying so). The body
 * string holds the bytes as latin1. Inflation stops at the body limit: a zip bomb costs at most a few
 * bounded attempts and gives the first part of its output, flagged oversize, never a full expansion.
 */
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from "node:zlib";
import { bytesToText, textToBytes } from "../../parse/decode.ts";

/** The gzip magic number at the start of a body. */
export function isGzip(body: string): boolean {
  return body.charCodeAt(0) === 0x1f && body.charCodeAt(1) === 0x8b;
}

export type Compression = "gzip" | "deflate" | "br";

/** Codings undone at most: a body compressed more often than this is no client's. */
const MAX_CODINGS = 3;

/**
 * The compressions a Content-Encoding names, in the order they were applied (`gzip`, `x-gzip`,
 * `deflate`, `br`, or several: `gzip, gzip`), or null when it names none or one this module does not
 * undo. `identity` is no coding.
 */
export function compressionsOf(contentEncoding: string | undefined): Compression[] | null {
  if (!contentEncoding) return null;
  const out: Compression[] = [];
  for (const part of contentEncoding.split(",", MAX_CODINGS + 1)) {
    const ce = part.trim().toLowerCase();
    if (ce === "gzip" || ce === "x-gzip") out.push("gzip");
    else if (ce === "deflate") out.push("deflate");
    else if (ce === "br") out.push("br");
    else if (ce !== "identity" && ce !== "") return null;
  }
  return out.length && out.length <= MAX_CODINGS ? out : null;
}

/** Attempts at a shorter input when the whole one inflates past the limit (each input a quarter of the last). */
const MAX_PARTIAL_ATTEMPTS = 10;

type Inflate = (data: Uint8Array, options: ZlibOptions) => Buffer;

function tooLarge(e: unknown): boolean {
  return (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError;
}

/**
 * The inflated body as text, and whether it went past `limit` characters (then only its first part is
 * given); null when the body is not a valid stream of that compression.
 */
export function inflateBody(body: string, compression: Compression, limit: number): { text: string; oversize: boolean } | null {
  const bytes = textToBytes(body);
  // "deflate" is zlib-wrapped or, from some clients, raw.
  const inflaters: Inflate[] = compression === "gzip" ? [gunzipSync] : compression === "br" ? [brotliDecompressSync] : [inflateSync, inflateRawSync];
  for (const inflate of inflaters) {
    const result = inflateWithin(bytes, inflate, { maxOutputLength: limit });
    if (result) return { text: bytesToText(result.bytes), oversize: result.cut };
  }
  return null;
}

/**
 * The output of `inflate` up to `options.maxOutputLength` bytes, and whether the stream went on past
 * it (then its first part is given); null when the input is no valid stream.
 */
function inflateWithin(bytes: Uint8Array, inflate: Inflate, options: ZlibOptions & { maxOutputLength: number }): { bytes: Uint8Array; cut: boolean } | null {
  try {
    return { bytes: inflate(bytes, options), cut: false };
  } catch (e) {
    return tooLarge(e) ? { bytes: inflatePrefix(bytes, inflate, options.maxOutputLength), cut: true } : null;
  }
}

/** The output of the longest quarter-shortened prefix of the input that stays within the limit. */
function inflatePrefix(bytes: Uint8Array, inflate: Inflate, limit: number): Uint8Array {
  let n = bytes.length;
  for (let attempt = 0; attempt < MAX_PARTIAL_ATTEMPTS && n > 16; attempt++) {
    n = Math.floor(n / 4);
    try {
      return inflate(bytes.subarray(0, n), { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      if (!tooLarge(e)) break;
    }
  }
  return new Uint8Array(0);
}

/** Shorter raw-deflate candidates are tokens and hashes far more often than compressed text. */
const MIN_RAW_DEFLATE_BYTES = 48;

export type EmbeddedInflate = (bytes: Uint8Array, limit: number) => Uint8Array | null;

/**
 * How to inflate bytes found inside another encoding (`H4sI...` in base64 is gzip), or null when they
 * are no compressed stream: a check of their first bytes, no zlib call. gzip and zlib announce
 * themselves; raw deflate does not, and trying it on every binary token would cost a zlib call each
 * (session ids, signatures): only where a protocol says the value is raw deflate (`raw`), on longer
 * input whose first block has a valid type.
 */
export function embeddedInflate(bytes: Uint8Array, raw: boolean): EmbeddedInflate | null {
  const [b0 = 0, b1 = 0] = bytes;
  const inflate: Inflate | null =
    b0 === 0x1f && b1 === 0x8b ? gunzipSync
    : (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0 ? inflateSync
    : raw && bytes.length >= MIN_RAW_DEFLATE_BYTES && ((b0 >> 1) & 3) !== 3 ? inflateRawSync
    : null;
  if (!inflate) return null;
  // Up to `limit` bytes: a stream that goes on past it gives its first part, and so does one cut short.
  return (data, limit) => inflateWithin(data, inflate, { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH })?.bytes ?? null;
}
